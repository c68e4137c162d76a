"""First start: build the database from the configured exports, with progress on screen."""

from __future__ import annotations

import streamlit as st

from core.config import AppConfig
from core.refresh import refresh


def ensure_database(config: AppConfig) -> None:
    """If the DuckDB file does not exist yet, build it now and show how it goes."""
    if config.database.exists():
        return
    with st.status("First start: building the database from the exports…", expanded=True) as box:
        bar = st.progress(0.0)

        def show(fraction: float, message: str) -> None:
            bar.progress(min(max(fraction, 0.0), 1.0), text=message)
            if "rows" in message or "FAILED" in message:
                st.write(message)

        report = refresh(config, progress=show)
        box.update(
            label=f"Database built in {report.seconds:.1f}s",
            state="complete" if report.ok else "error",
            expanded=not report.ok,
        )
