"""Who is looking: sign-in through Streamlit's OpenID Connect (st.login) and the viewer's role.

With `access.sign_in` off (the demo) everyone is an unrestricted viewer. With it on, a person who
has not signed in sees a sign-in button; one whose e-mail has no role is told so, politely.
"""

from __future__ import annotations

import streamlit as st

from core.access import Viewer, viewer_for
from core.config import AppConfig


def current_viewer(config: AppConfig) -> Viewer:
    """The signed-in viewer (stops the page with a sign-in or a refusal when there is none)."""
    access = config.spec.access
    if not access.sign_in:
        viewer = viewer_for(access, None)
        assert viewer is not None
        return _remember(viewer)
    if not st.user.is_logged_in:
        st.title("CX KPIs")
        st.info("Sign in with your company account to see the dashboard.", icon=":material/lock:")
        st.button("Sign in", on_click=st.login, args=(access.provider,) if access.provider else (), type="primary")
        st.stop()
    email = st.user.get("email")
    viewer = viewer_for(access, str(email) if email else None)
    if viewer is None:
        st.warning(
            f"{email or 'This account'} has no access to the CX dashboard. Ask its administrator to add you "
            "to config.yaml's `access: users:`.",
            icon=":material/block:",
        )
        st.button("Sign out", on_click=st.logout)
        st.stop()
    return _remember(viewer)


def _remember(viewer: Viewer) -> Viewer:
    st.session_state["_viewer_scope"] = viewer.scope
    return viewer
