"""The table of medians with ratios to ours, and the machine it ran on."""

from __future__ import annotations

import os
import platform
import statistics
from collections import defaultdict
from pathlib import Path
from typing import Any

SIDE_NAMES = {
    "ours": "ours (8 KPIs, wins)",
    "ours_same": "ours (8 KPIs, no wins wall)",
    "duckdb_sql": "hand-written DuckDB SQL",
    "duckdb_sql_kept": "hand-written SQL keeping refused rows",
    "pandas": "pandas (pyarrow CSV reader)",
    "floor": "floor: DuckDB read_csv alone",
}


def machine() -> dict[str, Any]:
    cpu = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    memory = 0
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            memory = int(line.split()[1]) // 1024
    return {
        "cpus": os.cpu_count(),
        "cpu_model": cpu,
        "memory_mb": memory,
        "python": platform.python_version(),
        "load_average_at_end": os.getloadavg(),
    }


def _median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def _timings(records: list[dict[str, Any]]) -> dict[tuple[str, str, str], dict[str, Any]]:
    grouped: dict[tuple[str, str, str], list[dict[str, Any]]] = defaultdict(list)
    for record in records:
        if "timing" in record:
            grouped[(record["size"], record["workload"], record["side"])].append(record)
    medians: dict[tuple[str, str, str], dict[str, Any]] = {}
    for key, group in grouped.items():
        medians[key] = {
            "runs": len(group),
            "wall_s": _median([r["timing"]["wall_s"] for r in group]),
            "cpu_s": _median([r["timing"]["cpu_s"] for r in group]),
            "rss_peak_mb": _median([r["timing"]["rss_peak_mb"] for r in group]),
            "load": _median([r["load_average"][0] for r in group]),
        }
    return medians


def table(results: dict[str, Any]) -> str:
    medians = _timings(results["records"])
    lines = [
        "| size | workload | side | runs | wall s | CPU s | peak RSS MB | rows/s | MB/s "
        "| wall / ours | CPU / ours | load |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for (size, workload, side), m in sorted(medians.items(), key=_order):
        data = results["datasets"].get(size, {})
        ours = medians.get((size, workload, "ours"))
        ratio_wall = f"{m['wall_s'] / ours['wall_s']:.2f}" if ours else ""
        ratio_cpu = f"{m['cpu_s'] / ours['cpu_s']:.2f}" if ours else ""
        rows_s = f"{data['rows'] / m['wall_s']:,.0f}" if workload == "full" and side != "floor" else ""
        size_bytes = data.get("csv_bytes" if side == "floor" else "input_bytes", 0)
        mb_s = f"{size_bytes / 1e6 / m['wall_s']:,.1f}" if workload == "full" else ""
        lines.append(
            f"| {size} | {workload} | {SIDE_NAMES.get(side, side)} | {m['runs']} | {m['wall_s']:.2f} | "
            f"{m['cpu_s']:.2f} | {m['rss_peak_mb']:,.0f} | {rows_s} | {mb_s} | {ratio_wall} | {ratio_cpu} | "
            f"{m['load']:.1f} |"
        )
    if results.get("memory_limit"):
        lines += ["", f"DuckDB memory limit (our refresh and the hand-written SQL): {results['memory_limit']}"]
    lines += ["", *_dashboard(results), "", *_readers(results), "", *_bar(results, medians)]
    return "\n".join(lines)


def _order(item: tuple[tuple[str, str, str], dict[str, Any]]) -> tuple[int, int, int]:
    (size, workload, side), _ = item
    workloads = ["full", "kpis", "incremental", "readers"]
    sides = list(SIDE_NAMES)
    return (
        _size_rank(size),
        workloads.index(workload) if workload in workloads else 9,
        sides.index(side) if side in sides else 9,
    )


def _size_rank(label: str) -> int:
    unit = {"k": 1_000, "M": 1_000_000}.get(label[-1], 1)
    return int(float(label.rstrip("kM")) * unit)


def _dashboard(results: dict[str, Any]) -> list[str]:
    records = [r for r in results["records"] if r["workload"] == "dashboard"]
    if not records:
        return []
    lines = [
        "| size | page | cold wall s | cold CPU s | warm wall s | warm CPU s | runs |",
        "|---|---|---|---|---|---|---|",
    ]
    for size in sorted({r["size"] for r in records}, key=_size_rank):
        group = [r for r in records if r["size"] == size]
        for page in ("scorecard", "kpi_detail"):
            cells = [
                _median([r[state][page][measure] for r in group])
                for state in ("cold", "warm")
                for measure in ("wall_s", "cpu_s")
            ]
            lines.append(f"| {size} | {page} | " + " | ".join(f"{c:.2f}" for c in cells) + f" | {len(group)} |")
    return lines


def _readers(results: dict[str, Any]) -> list[str]:
    records = [r for r in results["records"] if r["workload"] == "readers"]
    if not records:
        return []
    lines = [
        "| size | readers | refresh wall s | queries (idle / during) | p50 s idle / during | "
        "p95 s idle / during | max s during | errors |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in records:
        idle, busy = r["baseline"], r["refresh"]
        lines.append(
            f"| {r['size']} | {r['readers']} | {r['timing']['wall_s']:.1f} | {idle['queries']} / {busy['queries']} | "
            f"{idle.get('p50_s', 0):.3f} / {busy.get('p50_s', 0):.3f} | "
            f"{idle.get('p95_s', 0):.3f} / {busy.get('p95_s', 0):.3f} | {busy.get('max_s', 0):.3f} | {r['errors']} |"
        )
    return lines


def _bar(results: dict[str, Any], medians: dict[tuple[str, str, str], dict[str, Any]]) -> list[str]:
    lines = ["| size | bar | measured | met |", "|---|---|---|---|"]
    for size, data in sorted(results["datasets"].items(), key=lambda item: _size_rank(item[0])):
        ours = medians.get((size, "full", "ours"))
        if ours is None:
            continue
        for side, label in (("ours", "ours"), ("ours_same", "ours without the wins wall")):
            mine = medians.get((size, "full", side))
            for ceiling, name in (("duckdb_sql", "hand SQL"), ("duckdb_sql_kept", "hand SQL keeping refused rows")):
                sql = medians.get((size, "full", ceiling))
                if mine and sql:
                    wall, cpu = mine["wall_s"] / sql["wall_s"], mine["cpu_s"] / sql["cpu_s"]
                    lines.append(
                        f"| {size} | full refresh ({label}) within 1.3x of {name} | wall {wall:.2f}x, CPU {cpu:.2f}x "
                        f"| {_yes(max(wall, cpu) <= 1.3)} |"
                    )
            pandas = medians.get((size, "full", "pandas"))
            if mine and pandas:
                wall, cpu = pandas["wall_s"] / mine["wall_s"], pandas["cpu_s"] / mine["cpu_s"]
                lines.append(
                    f"| {size} | full refresh ({label}) 5x faster than pandas | wall {wall:.2f}x, CPU {cpu:.2f}x "
                    f"| {_yes(min(wall, cpu) >= 5)} |"
                )
        incremental = medians.get((size, "incremental", "ours"))
        if incremental:
            share = incremental["wall_s"] / ours["wall_s"]
            cpu_share = incremental["cpu_s"] / ours["cpu_s"]
            lines.append(
                f"| {size} | incremental ({data.get('new_day_rows', 0):,} new rows) under 10 % of full | "
                f"wall {100 * share:.1f} %, CPU {100 * cpu_share:.1f} % | {_yes(max(share, cpu_share) < 0.10)} |"
            )
        input_mb = data["input_bytes"] / 1e6
        lines.append(
            f"| {size} | peak RSS of a full refresh well under the data size ({input_mb:,.0f} MB) | "
            f"{ours['rss_peak_mb']:,.0f} MB | {_yes(ours['rss_peak_mb'] < 0.5 * input_mb)} |"
        )
    return lines


def _yes(met: bool) -> str:
    return "yes" if met else "**no**"
