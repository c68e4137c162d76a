"""SQL fragments in KPI files: real columns named like keywords work; broken or hostile text is refused."""

from __future__ import annotations

import duckdb
import pytest

from kpis.fragments import FragmentError, parse_aggregate, parse_condition


@pytest.mark.parametrize(
    "text",
    [
        "comment IS NOT NULL",  # sqlglot's statement parser read this as a COMMENT ON command
        "comment <> '' AND length(comment) > 3",
        "lower(comment) LIKE '%refund%' OR \"desc\" = 'x'",
    ],
)
def test_columns_named_like_keywords_are_columns(text: str) -> None:
    tree = parse_condition(text)
    con = duckdb.connect()
    con.execute("CREATE TABLE t AS SELECT * FROM (VALUES ('great refund', 'x'), (NULL, 'y')) v(comment, \"desc\")")
    assert con.execute(f"SELECT count(*) FROM t WHERE {tree.sql('duckdb')}").fetchall() == [(1,)]


def test_an_aggregate_over_a_comment_column() -> None:
    tree = parse_aggregate("count(*) FILTER (WHERE comment IS NOT NULL)")
    assert "comment" in tree.sql("duckdb").lower()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("nps >= 9 /* promoters", "never closed"),  # raised sqlglot's TokenError, not a FragmentError
        ("channel = 'store", "unclosed quote"),
        ("1 = 1; DROP TABLE raw.feedback", "several statements"),
        ("DROP TABLE raw.feedback", "not a statement"),
        ("COPY raw.feedback TO '/tmp/x.csv'", "not a statement"),
        ("ATTACH '/tmp/x.duckdb'", "not a statement"),
        ("comment IN (SELECT comment FROM raw.feedback)", "may not use"),
        ("read_csv('/etc/passwd') IS NOT NULL", "may not use"),
    ],
)
def test_broken_or_hostile_fragments_are_refused_with_a_reason(text: str, message: str) -> None:
    with pytest.raises(FragmentError, match=message):
        parse_condition(text)
