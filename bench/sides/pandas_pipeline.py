"""The pandas pipeline a data scientist would write: pyarrow's CSV reader into pandas, then groupby.

The same checks as the loader (a row failing any is dropped) and the same KPI counts at every
grain and dimension as the hand-written SQL, in pandas and numpy.
"""

from __future__ import annotations

from pathlib import Path

import adbc_driver_sqlite.dbapi as adbc_sqlite
import numpy as np
import pandas as pd
import pyarrow.csv as pa_csv

from bench.dataset import Dataset
from bench.sides.common import (
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
    cases = cases[~cases["case_id"].duplicated(keep=False)]
    reviews = pd.read_json(data.reviews, orient="records", dtype=False)
    reviews["published_at"] = pd.to_datetime(reviews["published_at"], errors="coerce", utc=True)
    reviews = reviews[reviews["review_id"].notna() & reviews["published_at"].notna()]
    reviews = reviews[reviews["rating"].isna() | reviews["rating"].between(1, 5)]
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
    parts = []
    measures = [c for c in frame.columns if c.startswith("m_")]
    for grain, starts in periods.items():
        keyed = frame[[*measures, *dimensions]].assign(period_start=starts)
        total = keyed.groupby("period_start")[measures].sum().reset_index()
        parts.append(total.assign(grain=grain, dimension="total", dimension_value="Total"))
        for dimension in dimensions:
            by = keyed.groupby(["period_start", dimension])[measures].sum().reset_index()
            by = by.rename(columns={dimension: "dimension_value"})
            parts.append(by.assign(grain=grain, dimension=dimension))
    return pd.concat(parts, ignore_index=True)


def compute_kpis(feedback: pd.DataFrame, pulse: pd.DataFrame) -> pd.DataFrame:
    """NPS, CSAT %, CES and eNPS at every grain and dimension, one row per KPI and group."""
    local = feedback["responded_at"].dt.tz_convert(TIMEZONE).dt.tz_localize(None)
    days = local.to_numpy().astype("datetime64[D]")
    measures = pd.DataFrame(
        {
            "m_promoters": (feedback["nps"] >= 9).astype(np.int64),
            "m_detractors": (feedback["nps"] <= 6).astype(np.int64),
            "m_nps_n": feedback["nps"].notna().astype(np.int64),
            "m_satisfied": (feedback["csat"] >= 4).astype(np.int64),
            "m_csat_n": feedback["csat"].notna().astype(np.int64),
            "m_ces_sum": feedback["ces"].fillna(0),
            "m_ces_n": feedback["ces"].notna().astype(np.int64),
        }
    )
    counts = _counts(
        pd.concat([measures, feedback[list(SURVEY_DIMENSIONS)]], axis=1), _periods(days, GRAINS), SURVEY_DIMENSIONS
    )
    ces = counts[counts["dimension"].isin(("total", *CES_DIMENSIONS))]
    pulse_measures = pd.DataFrame(
        {
            "m_promoters": (pulse["enps"] >= 9).astype(np.int64),
            "m_detractors": (pulse["enps"] <= 6).astype(np.int64),
            "m_nps_n": pulse["enps"].notna().astype(np.int64),
            "team": pulse["team"],
        }
    )
    month_days = pulse["survey_month"].to_numpy().astype("datetime64[D]")
    pulse_counts = _counts(pulse_measures, _periods(month_days, ("month", "quarter")), ("team",))
    return pd.concat(
        [
            _kpi(counts, "nps", 100.0 * (counts["m_promoters"] - counts["m_detractors"]), counts["m_nps_n"]),
            _kpi(counts, "csat", 100.0 * counts["m_satisfied"], counts["m_csat_n"]),
            _kpi(ces, "ces", ces["m_ces_sum"].astype(np.float64), ces["m_ces_n"]),
            _kpi(
                pulse_counts,
                "enps",
                100.0 * (pulse_counts["m_promoters"] - pulse_counts["m_detractors"]),
                pulse_counts["m_nps_n"],
            ),
        ],
        ignore_index=True,
    )


def _kpi(counts: pd.DataFrame, name: str, numerator: pd.Series, n: pd.Series) -> pd.DataFrame:
    keys = counts[["grain", "period_start", "dimension", "dimension_value"]]
    return keys.assign(kpi=name, value=numerator / n.where(n > 0), n=n)


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
