"""First start and damaged files: build the database from the configured exports, with progress on screen."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from core.config import AppConfig
from core.database import damage, data_version
from core.refresh import refresh


def ensure_database(config: AppConfig) -> None:
    """Build the DuckDB file if it does not exist; if it is damaged, say so and offer to rebuild it.

    Stops the page while the file is damaged: nothing half-read is ever shown.
    """
    if not config.database.exists():
        _build(config, "First start: building the database from the exports…", full=False)
        return
    why = _damage(str(config.database), data_version(config.database))
    if why is None:
        return
    st.error(
        f"**The database cannot be read.** {config.database.name} is damaged ({why}).\n\n"
        "No numbers are shown rather than wrong ones. Rebuilding reads every source again; the damaged "
        "file is kept next to it as `…corrupt-<time>` for inspection. From a shell: "
        "`python cli.py refresh --full`.",
        icon=":material/error:",
    )
    if st.button("Rebuild from the sources", key="rebuild_database", type="primary"):
        _build(config, "Rebuilding the database from the exports…", full=True)
        st.rerun()
    st.stop()


@st.cache_data(show_spinner=False, max_entries=4)
def _damage(path: str, version: str) -> str | None:
    """Checked once per version of the file, on the tables pages read (not the raw rows)."""
    return damage(Path(path), schemas=("kpi", "meta"))


def _build(config: AppConfig, label: str, *, full: bool) -> None:
    with st.status(label, expanded=True) as box:
        bar = st.progress(0.0)

        def show(fraction: float, message: str) -> None:
            bar.progress(min(max(fraction, 0.0), 1.0), text=message)
            if "rows" in message or "FAILED" in message:
                st.write(message)

        report = refresh(config, full=full, progress=show)
        box.update(
            label=f"Database built in {report.seconds:.1f}s",
            state="complete" if report.ok else "error",
            expanded=not report.ok,
        )
