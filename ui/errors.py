"""Turn user-facing errors into a friendly notice: the one place the dashboard does so."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import streamlit as st

from core.errors import CxKpiError, DatabaseError


@contextmanager
def shown_to_user() -> Iterator[None]:
    """Show a CxKpiError as a notice with what to do, then stop the page. Never a traceback."""
    try:
        yield
    except CxKpiError as err:
        heading = "The database cannot be read." if isinstance(err, DatabaseError) else "Something needs fixing."
        lines = "\n".join(f"- {problem}" for problem in err.problems)
        st.error(f"**{heading}**\n\n{lines}", icon=":material/error:")
        st.stop()
