"""Connectors: bring every export a CX team has into DuckDB, losing nothing.

This package knows files and databases. It knows nothing about KPIs or Streamlit.
"""
