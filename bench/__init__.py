"""Benchmarks: how fast new exports reach the dashboard, against hand-written DuckDB SQL and pandas.

`python -m bench --sizes 1m --runs 3` (see bench/README.md). Data is generated into a cache folder
outside the repository; every side runs in its own process so that its CPU time and peak memory
are its own; the sides' KPI values are checked equal before any timing is printed.
"""
