"""Shared foundations: configuration, errors, the DuckDB file and the refresh pipeline."""
