"""One side's workload in a process of its own: `python -m bench.child '<job as JSON>'`.

Prints one JSON line: the measurement of the timed part, and the values checked across sides.
Setup (copying a database built earlier, reading a base file for pandas) is not timed.
"""

from __future__ import annotations

import json
import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.dataset import Dataset, add_new_day, write_config
from bench.measure import load_average, measured

Job = dict[str, Any]
Outcome = dict[str, Any]


def _dataset(job: Job) -> Dataset:
    return Dataset(int(job["rows"]), Path(job["data"]))


def ours_full(job: Job) -> Outcome:
    from bench.sides import ours

    data, work = _dataset(job), Path(job["work"])
    wins = job["side"] != "ours_same"
    config = write_config(data, work, survey_files=data.survey_files, wins=wins, memory_limit=job.get("memory_limit"))
    (work / "cx.duckdb").unlink(missing_ok=True)
    with measured() as timing:
        ours.run_refresh(config, full=True)
    return {"timing": timing.as_dict(), **_ours_results(work / "cx.duckdb")}


def ours_kpis(job: Job) -> Outcome:
    from bench.sides import ours

    work = Path(job["work"])
    with measured() as timing:
        ours.run_refresh(work / "config.yaml", load=False)
    return {"timing": timing.as_dict(), **_ours_results(work / "cx.duckdb")}


def ours_incremental_setup(job: Job) -> Outcome:
    """The database as the previous refresh left it, before the new day lands (run in a child of its own).

    The base is built once per cache folder; each run starts from a copy of it. A copy is a new file
    to the refresh, which reads it whole once to check it is not damaged, so one refresh with
    nothing new runs here: the file is then the one the last refresh wrote, as in production.
    """
    from bench.sides import ours

    data, work = _dataset(job), Path(job["work"]) / "incremental"
    base = work.parent / "incremental_base.duckdb"
    config = write_config(
        data,
        work,
        survey_files=data.survey_files[:1],
        wins=job["side"] != "ours_same",
        memory_limit=job.get("memory_limit"),
    )
    if not base.exists():
        (work / "cx.duckdb").unlink(missing_ok=True)
        ours.run_refresh(config, full=True)
        shutil.copyfile(work / "cx.duckdb", base)
    shutil.copyfile(base, work / "cx.duckdb")
    ours.run_refresh(config)
    return {}


def ours_incremental(job: Job) -> Outcome:
    """The new day's export lands; time the refresh (after `ours_incremental_setup`, in another process)."""
    from bench.sides import ours

    data, work = _dataset(job), Path(job["work"]) / "incremental"
    add_new_day(data, work)
    with measured() as timing:
        report = ours.run_refresh(work / "config.yaml")
    steps = {load.source: round(load.seconds, 3) for load in report.loads}
    steps["kpis"] = round(sum(o.seconds for o in report.kpis.outcomes), 3)
    return {"timing": timing.as_dict(), "steps": steps, **_ours_results(work / "cx.duckdb")}


def _ours_results(database: Path) -> Outcome:
    from bench.sides import ours

    return {
        "check": ours.check_rows(database),
        "survey_rows": ours.survey_rows(database),
        "survey_rejected": ours.survey_rejected(database),
    }


def sql_full(job: Job) -> Outcome:
    from bench.sides import duckdb_sql

    data, database = _dataset(job), Path(job["work"]) / "sql.duckdb"
    database.unlink(missing_ok=True)
    keep = job["side"] == "duckdb_sql_kept"
    with measured() as timing:
        con = duckdb_sql.connect(database, job.get("memory_limit"))
        duckdb_sql.load_survey(con, data.survey_files, keep_rejects=keep)
        duckdb_sql.load_others(con, data, keep_rejects=keep)
        duckdb_sql.compute_kpis(con)
        con.close()
    return {"timing": timing.as_dict(), **_sql_results(database)}


def sql_kpis(job: Job) -> Outcome:
    from bench.sides import duckdb_sql

    database = Path(job["work"]) / "sql.duckdb"
    with measured() as timing:
        con = duckdb_sql.connect(database, job.get("memory_limit"))
        duckdb_sql.compute_kpis(con)
        con.close()
    return {"timing": timing.as_dict(), **_sql_results(database)}


def sql_incremental(job: Job) -> Outcome:
    from bench.sides import duckdb_sql

    data, work = _dataset(job), Path(job["work"])
    base, database = work / "sql_incremental_base.duckdb", work / "sql_incremental.duckdb"
    if not base.exists():
        con = duckdb_sql.connect(base, job.get("memory_limit"))
        duckdb_sql.load_survey(con, data.survey_files[:1])
        duckdb_sql.load_others(con, data)
        duckdb_sql.compute_kpis(con)
        con.close()
    shutil.copyfile(base, database)
    with measured() as timing:
        con = duckdb_sql.connect(database, job.get("memory_limit"))
        duckdb_sql.load_survey(con, data.survey_files[1:], append=True)
        duckdb_sql.compute_kpis(con)
        con.close()
    return {"timing": timing.as_dict(), **_sql_results(database)}


def _sql_results(database: Path) -> Outcome:
    from bench.sides import duckdb_sql

    con = duckdb_sql.connect(database)
    try:
        return {
            "check": duckdb_sql.check_rows(con),
            "survey_rows": duckdb_sql.survey_rows(con),
            "survey_rejected": duckdb_sql.rejected_rows(con, "feedback"),
        }
    finally:
        con.close()


def pandas_full(job: Job) -> Outcome:
    from bench.sides import pandas_pipeline as pp

    data = _dataset(job)
    with measured() as timing:
        feedback = pp.load_survey(data.survey_files)
        others = pp.load_others(data)
        values = pp.compute_kpis(feedback, others)
    work = Path(job["work"])
    for name, frame in {"feedback": feedback, **others}.items():  # for the KPI workload
        frame.to_parquet(work / f"pandas_{name}.parquet")
    return {"timing": timing.as_dict(), "check": pp.check_rows(values), "survey_rows": len(feedback)}


def pandas_kpis(job: Job) -> Outcome:
    import pandas as pd

    from bench.sides import pandas_pipeline as pp

    work = Path(job["work"])
    feedback = pd.read_parquet(work / "pandas_feedback.parquet")
    others = {name: pd.read_parquet(work / f"pandas_{name}.parquet") for name in ("employee_pulse", "cases", "reviews")}
    with measured() as timing:
        values = pp.compute_kpis(feedback, others)
    return {"timing": timing.as_dict(), "check": pp.check_rows(values), "survey_rows": len(feedback)}


def pandas_incremental(job: Job) -> Outcome:
    import pandas as pd

    from bench.sides import pandas_pipeline as pp

    data = _dataset(job)
    base = pp.load_survey(data.survey_files[:1])
    others = pp.load_others(data)
    with measured() as timing:
        feedback = pd.concat([base, pp.load_survey(data.survey_files[1:])], ignore_index=True)
        values = pp.compute_kpis(feedback, others)
    return {"timing": timing.as_dict(), "check": pp.check_rows(values), "survey_rows": len(feedback)}


def floor_full(job: Job) -> Outcome:
    """DuckDB's raw read_csv rate on the same CSV files: every column tokenised, nothing checked."""
    import duckdb

    data = _dataset(job)
    con = duckdb.connect()
    results = []
    with measured() as timing:
        for files in (data.survey_files, [data.pulse]):
            paths = "[" + ", ".join(f"'{f}'" for f in files) + "]"
            columns = [str(row[0]) for row in con.execute(f"DESCRIBE SELECT * FROM read_csv({paths})").fetchall()]
            counts = ", ".join(f'count("{c}")' for c in columns)
            results.append(con.execute(f"SELECT {counts} FROM read_csv({paths}, all_varchar = true)").fetchall())
    return {"timing": timing.as_dict(), "csv_bytes": data.csv_bytes()}


def ours_dashboard(job: Job) -> Outcome:
    from bench import dashboard

    return dashboard.render_times(Path(job["work"]) / "config.yaml")


def ours_readers(job: Job) -> Outcome:
    from bench import readers

    return readers.during_refresh(Path(job["work"]) / "config.yaml", int(job.get("readers", 3)))


WORKLOADS: dict[tuple[str, str], Callable[[Job], Outcome]] = {
    ("ours", "full"): ours_full,
    ("ours", "kpis"): ours_kpis,
    ("ours", "incremental"): ours_incremental,
    ("ours", "incremental_setup"): ours_incremental_setup,
    ("ours", "dashboard"): ours_dashboard,
    ("ours", "readers"): ours_readers,
    ("ours_same", "full"): ours_full,
    ("ours_same", "kpis"): ours_kpis,
    ("ours_same", "incremental"): ours_incremental,
    ("ours_same", "incremental_setup"): ours_incremental_setup,
    ("duckdb_sql", "full"): sql_full,
    ("duckdb_sql", "kpis"): sql_kpis,
    ("duckdb_sql", "incremental"): sql_incremental,
    ("duckdb_sql_kept", "full"): sql_full,
    ("pandas", "full"): pandas_full,
    ("pandas", "kpis"): pandas_kpis,
    ("pandas", "incremental"): pandas_incremental,
    ("floor", "full"): floor_full,
}


def run_job(job: Job) -> Outcome:
    outcome = WORKLOADS[(job["side"], job["workload"])](job)
    outcome["load_average"] = load_average()
    result: Outcome = json.loads(json.dumps(outcome, default=str))
    return result


def main(argv: list[str]) -> None:
    print(json.dumps(run_job(json.loads(argv[1]))))


if __name__ == "__main__":
    main(sys.argv)
