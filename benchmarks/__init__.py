"""Benchmarks: scripts that print timings and ratios (never run as tests)."""
