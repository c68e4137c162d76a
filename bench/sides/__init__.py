"""The three ways of getting from exports to KPI values that the benchmark compares."""
