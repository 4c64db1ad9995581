"""Reproducible build scripts for the shipped data."""
