"""Streamlit user interface: pages and widgets. Only this package and app.py import streamlit."""
