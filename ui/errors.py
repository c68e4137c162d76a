"""Turn errors into a friendly notice: the one place the dashboard does so."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import streamlit as st

from core.errors import CxKpiError, DatabaseError

logger = logging.getLogger(__name__)


@contextmanager
def shown_to_user() -> Iterator[None]:
    """Show an error as a notice with what to do, then stop the page. Never a traceback.

    A CxKpiError says what is wrong and how to fix it. Anything else is a defect: its traceback
    goes to the server's log under a reference the notice shows, so a person can report it and
    the team running the dashboard can find it. Streamlit's own st.stop and st.rerun signals are
    BaseExceptions and pass through.
    """
    try:
        yield
    except CxKpiError as err:
        heading = "The database cannot be read." if isinstance(err, DatabaseError) else "Something needs fixing."
        lines = "\n".join(f"- {problem}" for problem in err.problems)
        st.error(f"**{heading}**\n\n{lines}", icon=":material/error:")
        st.stop()
    except Exception:
        reference = datetime.now(UTC).strftime("%Y%m%dT%H%M%S.%fZ")
        logger.exception("dashboard error, reference %s", reference)
        st.error(
            "**This view could not be drawn.** The other pages still work; reloading may help. "
            f"If it keeps happening, tell the team that runs the dashboard, quoting reference `{reference}` "
            "(the details are in the server's log).",
            icon=":material/error:",
        )
        st.stop()
