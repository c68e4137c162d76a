"""KPIs: YAML definitions compiled to DuckDB SQL, with CX statistics, targets and owners.

This package takes a DuckDB connection; it never opens one, and it knows nothing of Streamlit.
"""
