"""The `kpi` schema: the tables and views the dashboard and analysts read, documented in place."""

from __future__ import annotations

import duckdb

from core.ddl import comment_on, create_documented_table, has_other_columns

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
    "suppressed": ("BOOLEAN", "True when the group is under the KPI's anonymity minimum: no score is shown."),
    "details": ("JSON", "Type-specific figures, e.g. loop closure median/p90/SLA share, favourability by item."),
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
    "backup_email": ("VARCHAR", "Backup owner's e-mail."),
    "backup_team": ("VARCHAR", "Backup owner's team."),
    "escalation_name": ("VARCHAR", "Escalation contact."),
    "escalation_email": ("VARCHAR", "Escalation contact's e-mail."),
    "escalation_team": ("VARCHAR", "Escalation contact's team."),
    "owners": ("JSON", "Owner per dimension value: {dimension: {value: {name, email, team}}}."),
    "category": ("VARCHAR", "customer, employee or operations."),
    "statistic": ("VARCHAR", "What the value is: nps, share, mean, share_positive, median_hours, ..."),
    "anonymity_min": ("INTEGER", "Groups with fewer respondents show no score (NULL: no minimum)."),
    "window_days": ("INTEGER", "Trailing window in days each value covers (NULL: the period itself)."),
    "amber_within_percent": ("DOUBLE", "Distance from target, as % of the target, that still counts as 'at risk'."),
    "targets": ("JSON", "Targets over time: [{from, value}]."),
    "amber_within": ("DOUBLE", "Distance from target, in the KPI's units, that still counts as 'at risk'."),
    "data_through": ("TIMESTAMPTZ", "Latest time stamp in the KPI's rows."),
    "definition_file": ("VARCHAR", "The YAML file that defines it."),
    "definition": ("VARCHAR", "The YAML text as computed."),
    "sql": ("VARCHAR", "The DuckDB query that aggregates it."),
    "status": ("VARCHAR", "ok, or error when this refresh could not compute it (values kept)."),
    "problems": ("VARCHAR", "What is wrong with its definition, when status is error."),
    "refresh_id": (
        "VARCHAR",
        "The refresh that last computed it (or found its definition broken). A refresh that finds its "
        "inputs unchanged keeps its rows, and this id, as they are.",
    ),
    "inputs_fingerprint": (
        "VARCHAR",
        "Hash of what its rows were computed from: definition, SQL, time zone and week start, engine "
        "version, and each table read (columns, row count, load ids). A refresh with the same hash keeps "
        "its rows; NULL after an error, so the next refresh computes it.",
    ),
}

BACKLOG_COLUMNS: dict[str, tuple[str, str]] = {
    "kpi": ("VARCHAR", "Loop-closure KPI name (kpi.catalog.kpi)."),
    "as_of": ("TIMESTAMPTZ", "The data's 'as of' time: the latest start or end time in the cases table."),
    "dimension": ("VARCHAR", "Breakdown column, or 'total'."),
    "dimension_value": ("VARCHAR", "Value of the breakdown column, or 'Total'."),
    "age_bucket": ("VARCHAR", "How long the cases have been open: under 24 h, 24-48 h, 2-7 days, over 7 days."),
    "bucket_order": ("INTEGER", "Sort order of the age buckets, youngest first."),
    "open_cases": ("BIGINT", "Cases still open at as_of."),
    "overdue_cases": ("BIGINT", "Open cases past their SLA deadline."),
    "refresh_id": ("VARCHAR", "The refresh that computed this row."),
}

LATEST_VIEW = """
CREATE OR REPLACE VIEW kpi.latest AS
SELECT * FROM kpi.kpi_values
QUALIFY period_start = max(period_start) OVER (PARTITION BY kpi, grain)
"""


def ensure_kpi_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Create the `kpi` schema, its tables and views, with a comment on every table and column.

    The kpi tables are derived data: one written by an older version with other columns is
    dropped and recreated (a refresh computes it again).
    """
    for table, columns in (
        ("kpi_values", VALUES_COLUMNS),
        ("catalog", CATALOG_COLUMNS),
        ("loop_backlog", BACKLOG_COLUMNS),
    ):
        if has_other_columns(con, SCHEMA, table, columns):
            con.execute(f"DROP VIEW IF EXISTS {SCHEMA}.latest")
            con.execute(f"DROP TABLE {SCHEMA}.{table}")
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
    create_documented_table(
        con,
        SCHEMA,
        "loop_backlog",
        "Open loop-closure cases by age at the data's 'as of' time, per KPI and dimension value.",
        BACKLOG_COLUMNS,
    )
    con.execute(LATEST_VIEW)
    comment_on(
        con, "VIEW", f"{SCHEMA}.latest", "The most recent period of every KPI at every grain and dimension value."
    )
    for column, (_, text) in VALUES_COLUMNS.items():
        comment_on(con, "COLUMN", f"{SCHEMA}.latest.{column}", text)
