"""The production set-up the README gives keeps the server locked down; the bundled config agrees."""

from __future__ import annotations

import tomllib

from tests.conftest import ROOT


def test_the_readme_runs_streamlit_locked_down_behind_a_tls_proxy() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Running in production", 1)[1].split("\n## ", 1)[0]
    for needed in (
        "--browser.gatherUsageStats false",
        "--server.enableXsrfProtection true",
        "--server.address 127.0.0.1",
        "--server.headless true",
        "listen 443 ssl",
        "proxy_set_header Upgrade $http_upgrade",
        'proxy_set_header Connection "upgrade"',
        "secrets.toml",
    ):
        assert needed in section, needed


def test_the_bundled_streamlit_config_sends_no_usage_stats_and_shows_no_tracebacks() -> None:
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["browser"]["gatherUsageStats"] is False
    assert config["client"]["showErrorDetails"] == "none"
    assert config["server"].get("enableXsrfProtection", True) is True
    assert (
        not (ROOT / ".streamlit" / "secrets.toml").exists()
        or ".streamlit/secrets.toml" in (ROOT / ".gitignore").read_text()
    )
