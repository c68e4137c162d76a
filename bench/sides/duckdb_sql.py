"""The ceiling: what a competent analyst writes by hand in DuckDB SQL for the same loads and KPIs.

Same checks as the loader (types, ranges, allowed values, required values, duplicate keys; a row
failing any is dropped), then NPS, CSAT %, CES and eNPS counts at every grain and dimension with
GROUPING SETS. No intervals, targets, changes or lineage: those are what the product adds.

With `keep_rejects` (the side `duckdb_sql_kept`) the analyst also keeps what the checks drop, as
the product does: every refused row with its line (or row number), why, and its values, and the
lines the CSV reader could not parse, in one table `rejects`. One statement after another, as a
script would run them.
"""

from __future__ import annotations

from pathlib import Path

import adbc_driver_sqlite.dbapi as adbc_sqlite
import duckdb

from bench.dataset import Dataset
from bench.sides.common import (
    BALANCE_DIMENSIONS,
    CASE_DIMENSIONS,
    CES_DIMENSIONS,
    CHANNELS,
    CHECKED_DIMENSION,
    GRAINS,
    NULLS,
    PULSE_COLUMNS,
    SURVEY_COLUMNS,
    SURVEY_DIMENSIONS,
    TIMEZONE,
    CheckRow,
)

SURVEY_TYPES = {
    "Likelihood to Recommend (0-10)": "INTEGER",
    "Overall Satisfaction (1-5)": "INTEGER",
    "Ease of Resolution (1-7)": "INTEGER",
    "Submitted At": "TIMESTAMP",
}
PULSE_TYPES = {name: "INTEGER" for name in list(PULSE_COLUMNS)[3:]} | {"Survey Month": "DATE"}


def _columns(names: dict[str, str], types: dict[str, str]) -> str:
    return "{" + ", ".join(f"'{source}': '{types.get(source, 'VARCHAR')}'" for source in names) + "}"


def _renamed(names: dict[str, str]) -> str:
    return ", ".join(f'"{source}" AS {target}' for source, target in names.items())


def _nulls() -> str:
    return "[" + ", ".join(f"'{value}'" for value in NULLS) + "]"


def connect(database: Path, memory_limit: str | None = None) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(database), config={"memory_limit": memory_limit} if memory_limit else {})
    con.execute(f"SET TimeZone = '{TIMEZONE}'")
    return con


SURVEY_CHECKS = {
    "response_id": "response_id IS NOT NULL",
    "responded_at": "responded_at IS NOT NULL",
    "channel": f"(channel IS NULL OR channel IN {CHANNELS})",
    "nps": "(nps IS NULL OR nps BETWEEN 0 AND 10)",
    "csat": "(csat IS NULL OR csat BETWEEN 1 AND 5)",
    "ces": "(ces IS NULL OR ces BETWEEN 1 AND 7)",
}


def load_survey(
    con: duckdb.DuckDBPyConnection, files: list[Path], *, append: bool = False, keep_rejects: bool = False
) -> None:
    paths = "[" + ", ".join(f"'{f}'" for f in files) + "]"
    read = f"SELECT {_renamed(SURVEY_COLUMNS)} FROM {_survey_csv(paths, store_rejects=keep_rejects)}"
    checked = f"""
        SELECT * REPLACE (timezone('UTC', responded_at) AS responded_at) FROM ({read})
        WHERE {" AND ".join(SURVEY_CHECKS.values())}"""
    con.execute(f"INSERT INTO feedback {checked}" if append else f"CREATE OR REPLACE TABLE feedback AS {checked}")
    if keep_rejects:
        _keep_reader_rejects(con, "feedback")
        for file in files:  # numbered per file, in file order: a streaming window, one thread
            read_one = _survey_csv(f"'{file}'")
            numbered = f"SELECT row_number() OVER () + 1 AS line, {_renamed(SURVEY_COLUMNS)} FROM {read_one}"
            _keep_refused(con, "feedback", str(file), numbered, SURVEY_CHECKS)


def _survey_csv(paths: str, *, store_rejects: bool = False) -> str:
    """read_csv of the survey export(s) `paths` (a SQL string or list), typed, bad lines skipped."""
    rejects = ", store_rejects = true" if store_rejects else ""
    return (
        f"read_csv({paths}, header = true, delim = ',', quote = '\"', nullstr = {_nulls()}, "
        f"columns = {_columns(SURVEY_COLUMNS, SURVEY_TYPES)}, ignore_errors = true{rejects})"
    )


def _keep_reader_rejects(con: duckdb.DuckDBPyConnection, table: str) -> None:
    """The lines the CSV reader refused (one per line, however many of its fields were wrong)."""
    _ensure_rejects(con)
    con.execute(f"""
        INSERT INTO rejects
        SELECT '{table}', s.file_path, e.line, string_agg(e.error_message, '; '), any_value(e.csv_line)
        FROM reject_errors e JOIN reject_scans s USING (scan_id, file_id) GROUP BY ALL""")
    con.execute("DELETE FROM reject_errors")  # the next store_rejects scan adds to these tables
    con.execute("DELETE FROM reject_scans")


def _keep_refused(
    con: duckdb.DuckDBPyConnection, table: str, file: str, numbered: str, checks: dict[str, str], *, key: str = ""
) -> None:
    """The rows of `numbered` (with a `line` column) failing a check, or repeating `key`, with why."""
    _ensure_rejects(con)
    why = "concat_ws('; ', " + ", ".join(f"CASE WHEN NOT {c} THEN '{n}: check failed' END" for n, c in checks.items())
    failing = " OR ".join(f"NOT {c}" for c in checks.values())
    if key:
        why += f", CASE WHEN count(*) OVER (PARTITION BY {key}) > 1 THEN '{key}: repeated' END"
        failing += f" OR count(*) OVER (PARTITION BY {key}) > 1"
    con.execute(f"""
        INSERT INTO rejects
        SELECT '{table}', '{file}', line, {why}), CAST(to_json(r) AS VARCHAR)
        FROM ({numbered}) r {"QUALIFY" if key else "WHERE"} {failing}""")


def _ensure_rejects(con: duckdb.DuckDBPyConnection) -> None:
    columns = "target VARCHAR, file VARCHAR, line BIGINT, reason VARCHAR, original VARCHAR"
    con.execute(f"CREATE TABLE IF NOT EXISTS rejects ({columns})")


def rejected_rows(con: duckdb.DuckDBPyConnection, table: str) -> int:
    """Rows of `table`'s inputs kept as rejects (0 when none were kept)."""
    if not con.execute("SELECT 1 FROM duckdb_tables() WHERE table_name = 'rejects'").fetchall():
        return 0
    # one row per refused row, and per line the reader refused (their line numbers may coincide with
    # a refused row's, which is numbered among the rows the reader kept)
    found = con.execute("SELECT count(*) FROM rejects WHERE target = ?", [table]).fetchone()
    return int(found[0]) if found else 0


PULSE_CHECKS = {
    "respondent_id": "respondent_id IS NOT NULL",
    "team": "team IS NOT NULL",
    "survey_month": "survey_month IS NOT NULL",
    **{q: f"coalesce({q} BETWEEN 1 AND 5, true)" for q in ("pride", "recognition", "tools", "growth", "workload")},
    "enps": "coalesce(enps BETWEEN 0 AND 10, true)",
}
CASES_CHECKS = {
    "case_id": "case_id IS NOT NULL",
    "opened_at": "opened_at IS NOT NULL",
    "reopen_count": "coalesce(reopen_count >= 0, true)",
    "status": "coalesce(status IN ('Open', 'Closed'), true)",
}
REVIEWS_CHECKS = {
    "review_id": "review_id IS NOT NULL",
    "published_at": "published_at IS NOT NULL",
    "rating": "coalesce(rating BETWEEN 1 AND 5, true)",
    "sentiment": "coalesce(sentiment IN ('positive', 'neutral', 'negative'), true)",
}


def load_others(con: duckdb.DuckDBPyConnection, data: Dataset, *, keep_rejects: bool = False) -> None:
    pulse_read = (
        f"read_csv('{data.pulse}', header = true, delim = ',', nullstr = {_nulls()}, "
        f"columns = {_columns(PULSE_COLUMNS, PULSE_TYPES)}, ignore_errors = true"
    )
    rejects = ", store_rejects = true" if keep_rejects else ""
    con.execute(f"""
        CREATE OR REPLACE TABLE employee_pulse AS
        SELECT * FROM (SELECT {_renamed(PULSE_COLUMNS)} FROM {pulse_read}{rejects}))
        WHERE {" AND ".join(PULSE_CHECKS.values())}""")  # blank answers (NULL) are left out, not errors
    if keep_rejects:
        _keep_reader_rejects(con, "employee_pulse")
        numbered = f"SELECT row_number() OVER () + 1 AS line, {_renamed(PULSE_COLUMNS)} FROM {pulse_read})"
        _keep_refused(con, "employee_pulse", str(data.pulse), numbered, PULSE_CHECKS)
    with adbc_sqlite.connect(str(data.cases)) as sqlite, sqlite.cursor() as cursor:
        cursor.execute("SELECT * FROM cases")
        cases_arrow = cursor.fetch_arrow_table()
    con.register("cases_arrow", cases_arrow)
    con.execute(f"""
        CREATE OR REPLACE TABLE cases AS
        SELECT case_id, response_id, customer_id, timezone('UTC', opened_at::TIMESTAMP) AS opened_at,
               timezone('UTC', first_contact_at::TIMESTAMP) AS first_contact_at,
               timezone('UTC', closed_at::TIMESTAMP) AS closed_at, status, owner, team, root_cause,
               reopen_count::INTEGER AS reopen_count, priority
        FROM cases_arrow
        WHERE {" AND ".join(CASES_CHECKS.values())}
        QUALIFY count(*) OVER (PARTITION BY case_id) = 1""")
    if keep_rejects:
        numbered = "SELECT row_number() OVER () AS line, * FROM cases_arrow"
        _keep_refused(con, "cases", str(data.cases), numbered, CASES_CHECKS, key="case_id")
    con.unregister("cases_arrow")
    reviews_read = f"""read_json('{data.reviews}', format = 'array', columns = {{review_id: 'VARCHAR',
            published_at: 'TIMESTAMPTZ', platform: 'VARCHAR', rating: 'INTEGER', sentiment: 'VARCHAR',
            title: 'VARCHAR', "text": 'VARCHAR', product: 'VARCHAR', region: 'VARCHAR'}})"""
    con.execute(f"""
        CREATE OR REPLACE TABLE reviews AS
        SELECT review_id, published_at, platform, rating, sentiment, title, "text" AS review_text, product, region
        FROM {reviews_read}
        WHERE {" AND ".join(REVIEWS_CHECKS.values())}
        QUALIFY count(*) OVER (PARTITION BY review_id) = 1""")
    if keep_rejects:
        numbered = f"SELECT row_number() OVER () AS line, * FROM {reviews_read}"
        _keep_refused(con, "reviews", str(data.reviews), numbered, REVIEWS_CHECKS, key="review_id")


def _period(grain: str, column: str) -> str:
    return f"CAST(date_trunc('{grain}', timezone('{TIMEZONE}', {column})) AS DATE)"


def _grouped(table: str, grains: tuple[str, ...], dimensions: tuple[str, ...], time: str, measures: str) -> str:
    """`measures` per period of `time` at every grain, in total and by each dimension (GROUPING SETS)."""
    periods = ", ".join(f"{_period(g, time) if time != 'survey_month' else _date(g)} AS p_{g}" for g in grains)
    sets = ", ".join(f"(p_{g})" + "".join(f", (p_{g}, {d})" for d in dimensions) for g in grains)
    grain = "CASE " + " ".join(f"WHEN NOT grouping(p_{g}) = 1 THEN '{g}'" for g in grains) + " END"
    dimension = "CASE " + " ".join(f"WHEN grouping({d}) = 0 THEN '{d}'" for d in dimensions) + " ELSE 'total' END"
    value = (
        "CASE "
        + " ".join(f"WHEN grouping({d}) = 0 THEN coalesce(CAST({d} AS VARCHAR), '(blank)')" for d in dimensions)
        + " ELSE 'Total' END"
    )
    start = "coalesce(" + ", ".join(f"p_{g}" for g in grains) + ")"
    return f"""
        SELECT {grain} AS grain, {start} AS period_start, {dimension} AS dimension, {value} AS dimension_value,
               {measures}
        FROM (SELECT *, {periods} FROM {table}) GROUP BY GROUPING SETS ({sets})"""


def _date(grain: str) -> str:
    return f"CAST(date_trunc('{grain}', survey_month) AS DATE)"


KEYS = "grain, period_start, dimension, dimension_value"


def compute_kpis(con: duckdb.DuckDBPyConnection) -> None:
    """Every KPI of the bundled config at every grain and dimension, into kpi_values.

    NPS, CSAT %, CES and the surveys' share of experience balance from one scan of feedback; eNPS
    and engagement from one scan of the pulse; the reviews' share of experience balance; loop
    closure (median and 90th percentile hours for cases closed in the period, and the share of
    cases whose 48-hour deadline fell in the period closed in time, open ones counting as missed)
    from one scan of the cases.
    """
    nps = "count(*) FILTER (nps >= 9) AS promoters, count(*) FILTER (nps <= 6) AS detractors, count(nps) AS nps_n"
    csat = "count(*) FILTER (csat >= 4) AS satisfied, count(*) FILTER (csat <= 2) AS unhappy, count(csat) AS csat_n"
    ces = "sum(ces) AS ces_sum, count(ces) AS ces_n"
    con.execute(
        "CREATE OR REPLACE TABLE feedback_counts AS "
        + _grouped("feedback", GRAINS, SURVEY_DIMENSIONS, "responded_at", f"{nps}, {csat}, {ces}")
    )
    items = ("pride", "recognition", "tools", "growth", "workload")
    rescaled = f"(list_avg([{', '.join(items)}]) - 1) / 4 * 100"  # the respondent's mean answer, 0 to 100
    pulse = (
        "count(*) FILTER (enps >= 9) AS promoters, count(*) FILTER (enps <= 6) AS detractors, count(enps) AS n, "
        "count(rescaled) AS engaged_n, sum(rescaled) AS rescaled_total, "
        + ", ".join(f"count({i}) AS {i}_n, count(*) FILTER ({i} >= 4) AS {i}_favourable" for i in items)
    )
    answered = f"(SELECT *, {rescaled} AS rescaled FROM employee_pulse)"
    con.execute(
        "CREATE OR REPLACE TABLE pulse_counts AS "
        + _grouped(answered, ("month", "quarter"), ("team",), "survey_month", pulse)
    )
    reviews = """
        SELECT published_at, platform AS channel, region, 'Public review' AS journey_stage, product,
               sentiment = 'positive' AS positive, sentiment = 'negative' AS negative, sentiment IS NOT NULL AS valid
        FROM reviews"""
    review = "count(*) FILTER (positive) AS positive, count(*) FILTER (negative) AS negative, "
    review += "count(*) FILTER (valid) AS n"
    con.execute(
        "CREATE OR REPLACE TABLE review_counts AS "
        + _grouped(f"({reviews})", GRAINS, BALANCE_DIMENSIONS, "published_at", review)
    )
    hours = "(epoch(closed_at) - epoch(opened_at)) / 3600.0"
    cases = f"""
        SELECT closed_at AS event_at, 'closed' AS role, {hours} AS hours,
               team, owner, root_cause, priority, reopen_count
        FROM cases WHERE closed_at IS NOT NULL
        UNION ALL
        SELECT opened_at + INTERVAL 48 HOUR, 'due', {hours}, team, owner, root_cause, priority, reopen_count
        FROM cases
        WHERE opened_at + INTERVAL 48 HOUR <= (SELECT greatest(max(opened_at), max(closed_at)) FROM cases)"""
    loops = (
        "count(*) FILTER (role = 'closed') AS closed, "
        "quantile_cont(hours, [0.5, 0.9]) FILTER (role = 'closed') AS quantiles, "
        "count(*) FILTER (role = 'closed' AND reopen_count > 0) AS reopened, "
        "count(*) FILTER (role = 'due') AS due, count(*) FILTER (role = 'due' AND hours <= 48) AS met, "
        "count(*) FILTER (role = 'due' AND hours IS NULL) AS open_overdue"
    )
    con.execute(
        "CREATE OR REPLACE TABLE case_counts AS " + _grouped(f"({cases})", GRAINS, CASE_DIMENSIONS, "event_at", loops)
    )
    balance_dimensions = ", ".join(f"'{d}'" for d in ("total", *BALANCE_DIMENSIONS))
    con.execute(f"""
        CREATE OR REPLACE TABLE kpi_values AS
        SELECT 'nps' AS kpi, {KEYS}, 100.0 * (promoters - detractors) / nullif(nps_n, 0) AS value, nps_n AS n
        FROM feedback_counts
        UNION ALL
        SELECT 'csat', {KEYS}, 100.0 * satisfied / nullif(csat_n, 0), csat_n FROM feedback_counts
        UNION ALL
        SELECT 'ces', {KEYS}, ces_sum / nullif(ces_n, 0), ces_n
        FROM feedback_counts WHERE dimension IN ('total', {", ".join(f"'{d}'" for d in CES_DIMENSIONS)})
        UNION ALL
        SELECT 'enps', {KEYS}, 100.0 * (promoters - detractors) / nullif(n, 0), n FROM pulse_counts
        UNION ALL
        SELECT 'engagement', {KEYS}, rescaled_total / nullif(engaged_n, 0), engaged_n FROM pulse_counts
        UNION ALL
        SELECT 'experience_balance', {KEYS}, 100.0 * sum(positive) / nullif(sum(n), 0), sum(n)
        FROM (SELECT {KEYS}, satisfied AS positive, unhappy AS negative, csat_n AS n FROM feedback_counts
              WHERE dimension IN ({balance_dimensions})
              UNION ALL
              SELECT {KEYS}, positive, negative, n FROM review_counts)
        GROUP BY ALL
        UNION ALL
        SELECT 'loop_closure_time', {KEYS}, quantiles[1], closed FROM case_counts
        UNION ALL
        SELECT 'loop_closure_sla', {KEYS}, 100.0 * met / nullif(due, 0), due FROM case_counts""")


def check_rows(con: duckdb.DuckDBPyConnection) -> list[CheckRow]:
    wanted = " OR ".join(f"(kpi = '{k}' AND dimension IN ('total', '{d}'))" for k, d in CHECKED_DIMENSION.items())
    rows = con.execute(f"""
        SELECT kpi, dimension, dimension_value, strftime(period_start, '%Y-%m-%d'), value, n FROM kpi_values
        WHERE grain = 'month' AND ({wanted}) AND n > 0 ORDER BY ALL""").fetchall()
    return [tuple(row) for row in rows]


def survey_rows(con: duckdb.DuckDBPyConnection) -> int:
    found = con.execute("SELECT count(*) FROM feedback").fetchone()
    return int(found[0]) if found else 0
