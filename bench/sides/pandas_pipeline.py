"""The pandas pipeline a data scientist would write: pyarrow's CSV reader into pandas, then groupby.

The same checks as the loader (a row failing any is dropped) and the same KPIs at every grain
and dimension as the hand-written SQL, in pandas and numpy.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeAlias

import adbc_driver_sqlite.dbapi as adbc_sqlite
import numpy as np
import pandas as pd
import pyarrow.csv as pa_csv
from pandas.api.typing import DataFrameGroupBy

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

Frames = dict[str, pd.DataFrame]
Groups: TypeAlias = "DataFrameGroupBy[Any, Any]"  # generic only to the type checker
_ANSWERS = {"nps": (0, 10), "csat": (1, 5), "ces": (1, 7)}
_ITEMS = {"pride": (1, 5), "recognition": (1, 5), "tools": (1, 5), "growth": (1, 5), "workload": (1, 5)}


def _read_csv(path: Path, names: dict[str, str]) -> pd.DataFrame:
    """pandas' pyarrow engine, with the one option pandas does not pass on: comments span lines.

    `pd.read_csv(engine="pyarrow")` leaves pyarrow's `newlines_in_values` off; at 10M rows a
    quoted comment with a line break then straddles a parallel block and the read fails
    ("Expected 12 columns, got 1"). The same read with that option set, then `to_pandas()`.
    """
    table = pa_csv.read_csv(
        path,
        parse_options=pa_csv.ParseOptions(newlines_in_values=True),
        convert_options=pa_csv.ConvertOptions(null_values=list(NULLS), strings_can_be_null=True),
    )
    frame: pd.DataFrame = table.to_pandas()
    return frame.rename(columns=names)


def _valid_answers(frame: pd.DataFrame, ranges: dict[str, tuple[int, int]]) -> pd.Series:
    """Blank answers are fine; anything that is not a whole number in range refuses the row."""
    ok = pd.Series(True, index=frame.index)
    for column, (low, high) in ranges.items():
        number = pd.to_numeric(frame[column], errors="coerce")
        bad = frame[column].notna() & ~(number.between(low, high) & (number % 1 == 0))
        ok &= ~bad
        frame[column] = number
    return ok


def load_survey(files: list[Path]) -> pd.DataFrame:
    frame = pd.concat([_read_csv(f, SURVEY_COLUMNS) for f in files], ignore_index=True)
    at = pd.to_datetime(frame["responded_at"], errors="coerce", format="%Y-%m-%d %H:%M:%S")
    frame["responded_at"] = at.dt.tz_localize("UTC")
    ok = _valid_answers(frame, _ANSWERS)
    ok &= frame["response_id"].notna() & frame["responded_at"].notna()
    ok &= frame["channel"].isna() | frame["channel"].isin(CHANNELS)
    return frame[ok].reset_index(drop=True)


def load_others(data: Dataset) -> Frames:
    pulse = _read_csv(data.pulse, PULSE_COLUMNS)
    pulse["survey_month"] = pd.to_datetime(pulse["survey_month"], errors="coerce", format="%Y-%m-%d")
    ok = _valid_answers(pulse, _ITEMS | {"enps": (0, 10)})
    ok &= pulse["respondent_id"].notna() & pulse["team"].notna() & pulse["survey_month"].notna()
    with adbc_sqlite.connect(str(data.cases)) as sqlite, sqlite.cursor() as cursor:
        cursor.execute("SELECT * FROM cases")
        cases = cursor.fetch_arrow_table().to_pandas()
    for column in ("opened_at", "first_contact_at", "closed_at"):
        cases[column] = pd.to_datetime(cases[column], errors="coerce", format="%Y-%m-%d %H:%M:%S").dt.tz_localize("UTC")
    cases = cases[cases["case_id"].notna() & cases["opened_at"].notna()]
    cases = cases[cases["reopen_count"].isna() | (cases["reopen_count"] >= 0)]
    cases = cases[cases["status"].isna() | cases["status"].isin(("Open", "Closed"))]
    cases = cases[~cases["case_id"].duplicated(keep=False)]
    reviews = pd.read_json(data.reviews, orient="records", dtype=False)
    reviews["published_at"] = pd.to_datetime(reviews["published_at"], errors="coerce", utc=True)
    reviews = reviews[reviews["review_id"].notna() & reviews["published_at"].notna()]
    reviews = reviews[reviews["rating"].isna() | reviews["rating"].between(1, 5)]
    reviews = reviews[reviews["sentiment"].isna() | reviews["sentiment"].isin(("positive", "neutral", "negative"))]
    reviews = reviews[~reviews["review_id"].duplicated(keep=False)]
    return {"employee_pulse": pulse[ok].reset_index(drop=True), "cases": cases, "reviews": reviews}


def _periods(days: np.ndarray, grains: tuple[str, ...]) -> dict[str, np.ndarray]:
    """First day of each row's week (Monday), month and quarter, from local calendar days."""
    months = days.astype("datetime64[M]")
    index = months.astype(np.int64)
    out = {
        "week": days - ((days.astype(np.int64) + 3) % 7).astype("timedelta64[D]"),  # 1970-01-01 was a Thursday
        "month": months.astype("datetime64[D]"),
        "quarter": (index - index % 3).astype("datetime64[M]").astype("datetime64[D]"),
    }
    return {g: out[g] for g in grains}


def _counts(frame: pd.DataFrame, periods: dict[str, np.ndarray], dimensions: tuple[str, ...]) -> pd.DataFrame:
    """The sums of the `m_` columns per period, at every grain, in total and by each dimension."""
    measures = [c for c in frame.columns if c.startswith("m_")]
    return _per_group(frame[[*measures, *dimensions]], periods, dimensions, lambda g: g[measures].sum())


def _per_group(
    frame: pd.DataFrame,
    periods: dict[str, np.ndarray],
    dimensions: tuple[str, ...],
    aggregate: Callable[[Groups], pd.DataFrame],
) -> pd.DataFrame:
    """`aggregate` of `frame` grouped by period at every grain, in total and by each dimension."""
    parts = []
    for grain, starts in periods.items():
        keyed = frame.assign(period_start=starts)
        total = aggregate(keyed.groupby("period_start")).reset_index()
        parts.append(total.assign(grain=grain, dimension="total", dimension_value="Total"))
        for dimension in dimensions:
            by = aggregate(keyed.groupby(["period_start", dimension], dropna=False)).reset_index()
            by = by.rename(columns={dimension: "dimension_value"})
            by["dimension_value"] = by["dimension_value"].astype(object).where(by["dimension_value"].notna(), "(blank)")
            parts.append(by.assign(grain=grain, dimension=dimension))
    return pd.concat(parts, ignore_index=True)


def _local_days(at: pd.Series) -> np.ndarray:
    """Each time stamp's calendar day in the reporting time zone."""
    days: np.ndarray = at.dt.tz_convert(TIMEZONE).dt.tz_localize(None).to_numpy().astype("datetime64[D]")
    return days


def compute_kpis(feedback: pd.DataFrame, others: Frames) -> pd.DataFrame:
    """Every KPI of the bundled config at every grain and dimension, one row per KPI and group."""
    measures = pd.DataFrame(
        {
            "m_promoters": (feedback["nps"] >= 9).astype(np.int64),
            "m_detractors": (feedback["nps"] <= 6).astype(np.int64),
            "m_nps_n": feedback["nps"].notna().astype(np.int64),
            "m_satisfied": (feedback["csat"] >= 4).astype(np.int64),
            "m_unhappy": (feedback["csat"] <= 2).astype(np.int64),
            "m_csat_n": feedback["csat"].notna().astype(np.int64),
            "m_ces_sum": feedback["ces"].fillna(0),
            "m_ces_n": feedback["ces"].notna().astype(np.int64),
        }
    )
    survey_periods = _periods(_local_days(feedback["responded_at"]), GRAINS)
    keyed = pd.concat([measures, feedback[list(SURVEY_DIMENSIONS)]], axis=1)
    counts = _counts(keyed, survey_periods, SURVEY_DIMENSIONS)
    ces = counts[counts["dimension"].isin(("total", *CES_DIMENSIONS))]
    pulse = _pulse_counts(others["employee_pulse"])
    balance = _balance(counts, others["reviews"])
    loops = _loop_closure(others["cases"])
    return pd.concat(
        [
            _kpi(counts, "nps", _share(100.0 * (counts["m_promoters"] - counts["m_detractors"]), counts["m_nps_n"])),
            _kpi(counts, "csat", _share(100.0 * counts["m_satisfied"], counts["m_csat_n"])),
            _kpi(ces, "ces", _share(ces["m_ces_sum"].astype(np.float64), ces["m_ces_n"])),
            _kpi(pulse, "enps", _share(100.0 * (pulse["m_promoters"] - pulse["m_detractors"]), pulse["m_enps_n"])),
            _kpi(pulse, "engagement", _share(pulse["m_rescaled"], pulse["m_engaged_n"])),
            _kpi(balance, "experience_balance", _share(100.0 * balance["m_positive"], balance["m_n"])),
            _kpi(loops, "loop_closure_time", (loops["median"], loops["closed"])),
            _kpi(loops, "loop_closure_sla", _share(100.0 * loops["met"], loops["due"])),
        ],
        ignore_index=True,
    )


def _pulse_counts(pulse: pd.DataFrame) -> pd.DataFrame:
    """eNPS counts and the engagement index's sums (each respondent's mean answer, 0 to 100)."""
    answers = pulse[list(_ITEMS)]
    rescaled = (answers.mean(axis=1) - 1) / 4 * 100
    measures = pd.DataFrame(
        {
            "m_promoters": (pulse["enps"] >= 9).astype(np.int64),
            "m_detractors": (pulse["enps"] <= 6).astype(np.int64),
            "m_enps_n": pulse["enps"].notna().astype(np.int64),
            "m_rescaled": rescaled.fillna(0),
            "m_engaged_n": rescaled.notna().astype(np.int64),
            **{f"m_{item}_n": answers[item].notna().astype(np.int64) for item in _ITEMS},
            **{f"m_{item}_favourable": (answers[item] >= 4).astype(np.int64) for item in _ITEMS},
            "team": pulse["team"],
        }
    )
    month_days = pulse["survey_month"].to_numpy().astype("datetime64[D]")
    return _counts(measures, _periods(month_days, ("month", "quarter")), ("team",))


def _balance(survey_counts: pd.DataFrame, reviews: pd.DataFrame) -> pd.DataFrame:
    """Positive and valid experiences from the surveys' counts and the public reviews, added per group."""
    sentiment = reviews["sentiment"]
    measures = pd.DataFrame(
        {
            "m_positive": (sentiment == "positive").astype(np.int64),
            "m_negative": (sentiment == "negative").astype(np.int64),
            "m_n": sentiment.notna().astype(np.int64),
            "channel": reviews["platform"],
            "region": reviews["region"],
            "journey_stage": "Public review",
            "product": reviews["product"],
        }
    )
    review_counts = _counts(measures, _periods(_local_days(reviews["published_at"]), GRAINS), BALANCE_DIMENSIONS)
    surveys = survey_counts[survey_counts["dimension"].isin(("total", *BALANCE_DIMENSIONS))].rename(
        columns={"m_satisfied": "m_positive", "m_unhappy": "m_negative", "m_csat_n": "m_n"}
    )
    keys = ["grain", "period_start", "dimension", "dimension_value"]
    both = pd.concat([surveys[[*keys, "m_positive", "m_negative", "m_n"]], review_counts], ignore_index=True)
    return both.groupby(keys, sort=False).sum().reset_index()


def _loop_closure(cases: pd.DataFrame) -> pd.DataFrame:
    """Median and 90th percentile hours of the cases closed in each period; the 48-hour SLA over the
    cases whose deadline fell in it (still open past it: missed; after the data's last event: not yet due)."""
    hours = (cases["closed_at"] - cases["opened_at"]).dt.total_seconds() / 3600.0
    dimensions = list(CASE_DIMENSIONS)
    closed = cases.loc[cases["closed_at"].notna(), [*dimensions, "closed_at", "reopen_count"]].assign(hours=hours)
    closed["reopened"] = closed["reopen_count"] > 0
    deadline = cases["opened_at"] + pd.Timedelta(hours=48)
    data_end = max(cases["opened_at"].max(), cases["closed_at"].max())
    due = cases.loc[deadline <= data_end, dimensions].assign(
        deadline=deadline, met=hours <= 48, open_overdue=cases["closed_at"].isna()
    )

    def closing(groups: Groups) -> pd.DataFrame:
        times = groups["hours"]
        return pd.DataFrame(
            {
                "closed": times.size(),
                "median": times.median(),
                "p90": times.quantile(0.9),
                "reopened": groups["reopened"].sum(),
            }
        )

    def deadlines(groups: Groups) -> pd.DataFrame:
        return groups[["met", "open_overdue"]].sum().assign(due=groups.size())

    keys = ["grain", "period_start", "dimension", "dimension_value"]
    closings = _per_group(closed, _periods(_local_days(closed["closed_at"]), GRAINS), CASE_DIMENSIONS, closing)
    deadlines_due = _per_group(due, _periods(_local_days(due["deadline"]), GRAINS), CASE_DIMENSIONS, deadlines)
    both = closings.merge(deadlines_due, on=keys, how="outer")
    return both.fillna({"closed": 0, "reopened": 0, "due": 0, "met": 0, "open_overdue": 0})


def _share(numerator: pd.Series, n: pd.Series) -> tuple[pd.Series, pd.Series]:
    """The value numerator / n (none when n is 0), and n."""
    return numerator / n.where(n > 0), n


def _kpi(counts: pd.DataFrame, name: str, value_and_n: tuple[pd.Series, pd.Series]) -> pd.DataFrame:
    value, n = value_and_n
    keys = counts[["grain", "period_start", "dimension", "dimension_value"]]
    return keys.assign(kpi=name, value=value, n=n)


def check_rows(values: pd.DataFrame) -> list[CheckRow]:
    wanted = pd.Series(False, index=values.index)
    for kpi, dimension in CHECKED_DIMENSION.items():
        wanted |= (values["kpi"] == kpi) & values["dimension"].isin(("total", dimension))
    rows = values[wanted & (values["grain"] == "month") & (values["n"] > 0)]
    starts = pd.to_datetime(rows["period_start"]).dt.strftime("%Y-%m-%d")
    return sorted(
        zip(
            rows["kpi"].astype(str),
            rows["dimension"].astype(str),
            rows["dimension_value"].astype(str),
            starts,
            rows["value"].astype(float),
            rows["n"].astype(int),
            strict=True,
        )
    )
