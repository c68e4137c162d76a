"""The `kpi` schema: the tables and views the dashboard and analysts read, documented in place."""

from __future__ import annotations

import duckdb

from core.ddl import comment_on, create_documented_table

SCHEMA = "kpi"

VALUES_COLUMNS: dict[str, tuple[str, str]] = {
    "kpi": ("VARCHAR", "KPI name (kpi.catalog.kpi)."),
    "grain": ("VARCHAR", "day, week, month, quarter or year."),
    "period_start": ("DATE", "First day of the period, in the configured time zone."),
    "period_end": ("DATE", "Last day of the period (inclusive)."),
    "dimension": ("VARCHAR", "Breakdown column, or 'total' for the whole population."),
    "dimension_value": ("VARCHAR", "Value of the breakdown column, or 'Total'."),
    "value": ("DOUBLE", "The KPI value at full precision; NULL when there is no valid answer."),
    "ci_low": ("DOUBLE", "Lower end of the 95% interval."),
    "ci_high": ("DOUBLE", "Upper end of the 95% interval."),
    "n": ("BIGINT", "Valid answers (the sample size)."),
    "numerator": ("DOUBLE", "Numerator of the value (for NPS: promoters - detractors)."),
    "denominator": ("DOUBLE", "Denominator of the value (for NPS: valid answers)."),
    "positive": ("BIGINT", "Positive answers (NPS promoters)."),
    "neutral": ("BIGINT", "Neutral answers (NPS passives)."),
    "negative": ("BIGINT", "Negative answers (NPS detractors)."),
    "invalid": ("BIGINT", "Rows in the period without a valid answer (blank or out of scale)."),
    "variance": ("DOUBLE", "Per-respondent variance used for intervals and change tests."),
    "target": ("DOUBLE", "Target in force on the first day of the period."),
    "status": ("VARCHAR", "on target, at risk, off target, no target or no data."),
    "low_sample": ("BOOLEAN", "True when n is below the KPI's min_n: read the value with care."),
    "previous_value": ("DOUBLE", "Value of the period before (NULL if it had none)."),
    "change": ("DOUBLE", "value - previous_value."),
    "change_p_value": ("DOUBLE", "Two-sided p-value of the change (independent samples)."),
    "change_significant": ("BOOLEAN", "True when change_p_value < 0.05."),
    "refresh_id": ("VARCHAR", "The refresh that computed this row (meta.refreshes)."),
}

CATALOG_COLUMNS: dict[str, tuple[str, str]] = {
    "kpi": ("VARCHAR", "KPI name, as in its file."),
    "display_name": ("VARCHAR", "Name shown to people."),
    "description": ("VARCHAR", "What it means and why it matters."),
    "type": ("VARCHAR", "KPI type: nps, proportion, mean, ..."),
    "formula": ("VARCHAR", "The formula and policies in plain words."),
    "table_name": ("VARCHAR", "Table in schema raw the KPI reads."),
    "time_column": ("VARCHAR", "Column that places a row in a period."),
    "dimensions": ("VARCHAR[]", "Columns it may be broken down by."),
    "grains": ("VARCHAR[]", "Grains it is computed at."),
    "direction": ("VARCHAR", "higher_is_better or lower_is_better."),
    "decimals": ("INTEGER", "Decimals to show."),
    "unit": ("VARCHAR", "Unit to show after the value."),
    "min_n": ("INTEGER", "Sample size below which a value is flagged low_sample."),
    "owner_name": ("VARCHAR", "Accountable owner."),
    "owner_email": ("VARCHAR", "Owner's e-mail."),
    "owner_team": ("VARCHAR", "Owner's team."),
    "backup_name": ("VARCHAR", "Backup owner."),
    "escalation_name": ("VARCHAR", "Escalation contact."),
    "targets": ("JSON", "Targets over time: [{from, value}]."),
    "amber_within": ("DOUBLE", "Distance from target that still counts as 'at risk'."),
    "data_through": ("TIMESTAMPTZ", "Latest time stamp in the KPI's rows."),
    "definition_file": ("VARCHAR", "The YAML file that defines it."),
    "definition": ("VARCHAR", "The YAML text as computed."),
    "sql": ("VARCHAR", "The DuckDB query that aggregates it."),
    "status": ("VARCHAR", "ok, or error when this refresh could not compute it (values kept)."),
    "problems": ("VARCHAR", "What is wrong with its definition, when status is error."),
    "refresh_id": ("VARCHAR", "The refresh that last computed it."),
}

LATEST_VIEW = """
CREATE OR REPLACE VIEW kpi.latest AS
SELECT * FROM kpi.kpi_values
QUALIFY period_start = max(period_start) OVER (PARTITION BY kpi, grain)
"""


def ensure_kpi_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Create the `kpi` schema, its tables and views, with a comment on every table and column."""
    create_documented_table(
        con,
        SCHEMA,
        "kpi_values",
        "Every KPI value: one row per KPI, grain, period and dimension value.",
        VALUES_COLUMNS,
    )
    create_documented_table(
        con,
        SCHEMA,
        "catalog",
        "One row per KPI: its definition, owner, targets and the SQL it runs.",
        CATALOG_COLUMNS,
    )
    con.execute(LATEST_VIEW)
    comment_on(
        con, "VIEW", f"{SCHEMA}.latest", "The most recent period of every KPI at every grain and dimension value."
    )
