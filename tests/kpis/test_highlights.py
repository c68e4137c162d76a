"""The wins wall: praise of each month and customers won back, checked by hand and by a reference."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import duckdb
import pandas as pd
import pytest

from core.config import AppConfig
from core.frames import frame
from core.refresh import RefreshReport
from kpis.highlights import PRAISE_PER_MONTH, CaseLink, VoiceSpec, build_wins, refresh_wins

VOICE = VoiceSpec(filters=("channel",), cases=CaseLink(table="cases"))
LONG = "Sorted out on the first call, thank you"  # 20 characters or more: worth sharing


@pytest.fixture
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute("CREATE SCHEMA raw")
    con.execute(
        "CREATE TABLE raw.feedback (responded_at TIMESTAMPTZ, customer_id VARCHAR, nps INTEGER, "
        "comment VARCHAR, channel VARCHAR)"
    )
    con.execute("CREATE TABLE raw.cases (customer_id VARCHAR, closed_at TIMESTAMPTZ)")
    yield con
    con.close()


def answer(con: duckdb.DuckDBPyConnection, at: str, who: str | None, score: int | None, comment: str = "") -> None:
    con.execute(
        "INSERT INTO raw.feedback (responded_at, customer_id, nps, comment, channel) VALUES (?, ?, ?, ?, 'Chat')",
        [at, who, score, comment],
    )


def recovered(con: duckdb.DuckDBPyConnection) -> list[tuple[object, ...]]:
    return con.execute(
        "SELECT customer_id, strftime(happened_at, '%Y-%m-%d'), score, strftime(before_at, '%Y-%m-%d'), "
        "before_score, before_comment, loop_closed FROM kpi.wins WHERE kind = 'recovered' ORDER BY customer_id"
    ).fetchall()


def test_a_detractor_who_later_promotes_is_won_back_once_with_the_latest_detraction(
    con: duckdb.DuckDBPyConnection,
) -> None:
    answer(con, "2025-01-01", "A", 3, "bad")
    answer(con, "2025-01-10", "A", 5, "still bad")
    answer(con, "2025-02-01", "A", 10, "great")
    answer(con, "2025-03-01", "A", 9, "great again")  # a second promoter answer: not a second win
    con.execute("INSERT INTO raw.cases VALUES ('A', '2025-01-20'), ('A', '2025-04-01')")
    answer(con, "2025-01-01", "B", 10)
    answer(con, "2025-02-01", "B", 2)  # promoter first, detractor after: not won back
    answer(con, "2025-01-01", "C", 6)
    answer(con, "2025-01-05", "C", 8)
    answer(con, "2025-01-09", "C", 9)  # a passive in between does not matter
    con.execute("INSERT INTO raw.cases VALUES ('C', '2025-01-10')")  # closed after the promoter answer
    answer(con, "2025-01-01", "D", 0)
    answer(con, "2025-01-01", "D", 10)  # at the same moment: not later
    answer(con, "2025-01-01", None, 0)
    answer(con, "2025-01-02", None, 10)  # nobody to follow
    build_wins(con, VOICE)
    assert recovered(con) == [
        ("A", "2025-02-01", 10, "2025-01-10", 5, "still bad", True),
        ("C", "2025-01-09", 9, "2025-01-01", 6, "", False),
    ]


def test_praise_is_the_best_long_promoter_comments_of_each_month(con: duckdb.DuckDBPyConnection) -> None:
    for day in range(1, 29):
        answer(con, f"2025-01-{day:02d}", f"P{day}", 9 if day % 2 else 10, LONG + "!" * day)
    answer(con, "2025-01-15", "short", 10, "Thanks!")
    answer(con, "2025-02-03", "feb", 9, "  " + LONG)
    answer(con, "2025-02-04", "passive", 8, LONG)
    build_wins(con, VOICE)
    praise = con.execute(
        "SELECT strftime(happened_at, '%Y-%m') AS month, customer_id, score, filters['channel'] FROM kpi.wins "
        "WHERE kind = 'praise' ORDER BY month, score DESC, length(comment) DESC"
    ).fetchall()
    january = [row for row in praise if row[0] == "2025-01"]
    assert len(january) == PRAISE_PER_MONTH
    tens = [f"P{day}" for day in range(28, 0, -2)]  # 14 tens, longest first, then the longest nines
    nines = [f"P{day}" for day in range(27, 0, -2)][: PRAISE_PER_MONTH - 14]
    assert [row[1] for row in january] == tens + nines
    assert [row for row in praise if row[0] == "2025-02"] == [("2025-02", "feb", 9, "Chat")]


def test_the_demo_wins_match_a_reference_computed_in_pandas(demo_build: tuple[AppConfig, RefreshReport]) -> None:
    config, _ = demo_build
    with duckdb.connect(str(config.database), read_only=True) as con:
        con.execute(f"SET TimeZone = '{config.timezone}'")
        answers = frame(
            con,
            "SELECT responded_at AS at, customer_id AS who, nps AS score, comment FROM raw.feedback "
            "WHERE responded_at IS NOT NULL AND nps BETWEEN 0 AND 10",
        )
        cases = frame(con, "SELECT customer_id AS who, closed_at FROM raw.cases WHERE closed_at IS NOT NULL")
        wins = frame(con, "SELECT * FROM kpi.wins")
    answers["at"] = pd.to_datetime(answers["at"], utc=True).dt.tz_convert(config.timezone)
    praise = wins[wins["kind"] == "praise"]
    assert _praise_keys(praise["happened_at"], praise["score"], praise["comment"], config.timezone) == _praise_keys(
        *_expected_praise(answers), config.timezone
    )
    got = wins[wins["kind"] == "recovered"]
    got_keys = sorted(
        zip(
            got["customer_id"],
            _utc(got["happened_at"]),
            got["score"].astype(int),
            _utc(got["before_at"]),
            got["before_score"].astype(int),
            got["loop_closed"].astype(bool),
            strict=True,
        )
    )
    assert len(got_keys) > 50
    assert got_keys == _expected_recovered(answers, cases)


def _utc(times: pd.Series) -> list[datetime]:
    return list(pd.to_datetime(times, utc=True))


def _expected_praise(answers: pd.DataFrame) -> tuple[pd.Series, pd.Series, pd.Series]:
    good = answers[(answers["score"] >= 9) & (answers["comment"].fillna("").str.strip().str.len() >= 20)].copy()
    good["length"] = good["comment"].str.len()
    good["month"] = good["at"].dt.strftime("%Y-%m")
    good = good.sort_values(["month", "score", "length", "at"], ascending=[True, False, False, False])
    best = good.groupby("month").head(PRAISE_PER_MONTH)
    return best["at"], best["score"], best["comment"]


def _praise_keys(at: pd.Series, score: pd.Series, comment: pd.Series, zone: str) -> list[tuple[object, ...]]:
    local = pd.to_datetime(at, utc=True).dt.tz_convert(zone)
    return sorted(zip(local.dt.strftime("%Y-%m"), score.astype(int), comment.str.len(), local, strict=True))


def _expected_recovered(answers: pd.DataFrame, cases: pd.DataFrame) -> list[tuple[object, ...]]:
    closed_by_customer = {who: list(group) for who, group in cases.groupby("who")["closed_at"]}
    expected = []
    for who, group in answers[answers["who"].notna()].sort_values("at").groupby("who"):
        rows = list(zip(group["at"], group["score"], strict=True))
        for at, score in rows:
            if score < 9:
                continue
            before = [(b_at, b_score) for b_at, b_score in rows if b_score <= 6 and b_at < at]
            if before:
                before_at, before_score = max(before, key=lambda r: r[0])
                closed = any(before_at <= c <= at for c in closed_by_customer.get(who, []))
                expected.append(
                    (who, at.tz_convert("UTC"), int(score), before_at.tz_convert("UTC"), int(before_score), closed)
                )
                break
    return sorted(expected)


def test_new_responses_update_the_wins_they_can_change_as_a_rebuild_would(con: duckdb.DuckDBPyConnection) -> None:
    """Only the praise of the new responses' months and their customers' recoveries are rebuilt."""
    con.execute("ALTER TABLE raw.feedback ADD COLUMN _load_id VARCHAR DEFAULT 'load-1'")
    con.execute("ALTER TABLE raw.cases ADD COLUMN _load_id VARCHAR DEFAULT 'load-1'")
    answer(con, "2025-01-05", "A", 2, "bad")
    answer(con, "2025-01-06", "C", 3, "bad")
    answer(con, "2025-03-01", "C", 10, LONG + " C")
    answer(con, "2025-01-07", "E", 1, "bad")
    answer(con, "2025-02-07", "E", 9, "fine")
    for day in range(1, 28):
        answer(con, f"2025-02-{day:02d}", f"P{day}", 9, LONG + "!" * day)
    con.execute("INSERT INTO raw.cases VALUES ('C', '2025-02-20', 'load-1')")
    assert refresh_wins(con, VOICE, "first") == "rebuilt"
    before = _all_wins(con)
    assert refresh_wins(con, VOICE, "again") == "kept"

    con.execute("ALTER TABLE raw.feedback ALTER COLUMN _load_id SET DEFAULT 'load-2'")
    answer(con, "2025-04-02", "A", 10, LONG + " A")  # A is won back
    answer(con, "2025-02-15", "C", 4, "worse")  # C's latest detraction before the win is now this one
    answer(con, "2025-02-10", "N", 10, LONG + " N, the best of February")  # outranks February's nines
    answer(con, "2025-05-01", "M", 9, LONG + " M")  # a month of its own
    assert refresh_wins(con, VOICE, "new day") == "updated"
    updated = _all_wins(con)
    build_wins(con, VOICE)
    rebuilt = _all_wins(con)
    assert updated == rebuilt
    changed = set(rebuilt) ^ set(before)
    assert {row[1] for row in changed if row[0] == "recovered"} == {"A", "C"}  # E stays as it was
    assert {str(row[2])[:7] for row in changed if row[0] == "praise"} == {"2025-02", "2025-04", "2025-05"}


def _all_wins(con: duckdb.DuckDBPyConnection) -> list[tuple[object, ...]]:
    return con.execute(
        "SELECT kind, customer_id, strftime(happened_at, '%Y-%m-%d'), score, comment, "
        "strftime(before_at, '%Y-%m-%d'), before_score, before_comment, loop_closed, CAST(filters AS VARCHAR) "
        "FROM kpi.wins ORDER BY ALL"
    ).fetchall()


def test_praise_is_ranked_within_the_months_of_the_reporting_time_zone(con: duckdb.DuckDBPyConnection) -> None:
    """23:30 UTC on 31 March is 00:30 on 1 April in London: that answer competes with April's praise."""
    con.execute("ALTER TABLE raw.feedback ADD COLUMN _load_id VARCHAR DEFAULT 'load-1'")
    con.execute("ALTER TABLE raw.cases ADD COLUMN _load_id VARCHAR DEFAULT 'load-1'")
    answer(con, "2025-03-31 23:30:00+00", "late", 9, LONG)
    for day in range(1, PRAISE_PER_MONTH + 1):
        answer(con, f"2025-04-{day:02d} 12:00:00+00", f"A{day}", 10, LONG + " and more" * day)
    assert refresh_wins(con, VOICE, "london", timezone="Europe/London") == "rebuilt"
    praised = {row[0] for row in con.execute("SELECT customer_id FROM kpi.wins WHERE kind = 'praise'").fetchall()}
    assert "late" not in praised and len(praised) == PRAISE_PER_MONTH  # April's 25 tens rank above it
    assert refresh_wins(con, VOICE, "utc", timezone="UTC") == "rebuilt"  # another zone: built again
    praised = {row[0] for row in con.execute("SELECT customer_id FROM kpi.wins WHERE kind = 'praise'").fetchall()}
    assert "late" in praised  # alone in March in UTC
