"""A real `streamlit run` server and a real headless Chromium (Debian's), for what a person sees."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from core.config import AppConfig
from core.refresh import RefreshReport
from tests.conftest import ROOT, skip_or_fail

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str | None:
    return shutil.which("chromium") or (os.path.exists("/usr/bin/chromium") and "/usr/bin/chromium") or None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_healthy(url: str, process: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("streamlit exited before it served the page")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.read().decode().strip() == "ok":
                    return
        except OSError:
            time.sleep(0.2)
    raise TimeoutError(f"streamlit did not answer at {url} within {timeout}s")


@pytest.fixture(scope="session")
def dashboard_url(demo_build: tuple[AppConfig, RefreshReport]) -> Iterator[str]:
    """`streamlit run dashboard.py` on the demo database, on a free local port."""
    config, _ = demo_build
    port = free_port()
    env = {**os.environ, "CXKPI_CONFIG": str(config.file)}
    command = [
        sys.executable, "-m", "streamlit", "run", str(ROOT / "dashboard.py"),
        "--server.headless", "true", "--server.address", "127.0.0.1", "--server.port", str(port),
        "--browser.gatherUsageStats", "false",
    ]  # fmt: skip
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url, process)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    executable = chromium_path()
    if executable is None:
        skip_or_fail("Debian's chromium is not installed (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        skip_or_fail("the playwright package is not installed")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Any, dashboard_url: str) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, device_scale_factor=1)
    page = context.new_page()
    yield page
    context.close()


# Streamlit scrolls inside its main section, not the document, so Playwright's full_page alone
# captures only the viewport: grow the viewport to the content's height for the shot instead.
CONTENT_HEIGHT = """() => Math.max(...['[data-testid="stMain"]', '[data-testid="stAppViewContainer"]', 'body']
    .map(s => document.querySelector(s)).filter(Boolean).map(e => e.scrollHeight))"""


DRAWN = """() => !document.querySelector('[data-testid*="Skeleton"]')
    && [...document.querySelectorAll('[data-testid="stDataFrame"]')]
        .filter(e => e.checkVisibility()).every(e => e.querySelector('canvas'))"""


def screenshot(page: Any, artifacts: Path, name: str) -> Path:
    """The whole page, top to bottom, as a reviewer would scroll through it."""
    path = artifacts / f"{name}.png"
    viewport = page.viewport_size
    for _ in range(4):  # a taller window re-lays out the page (charts re-measure): until it settles
        height = min(int(page.evaluate(CONTENT_HEIGHT)), 12_000)
        if height <= page.viewport_size["height"]:
            break
        page.set_viewport_size({"width": viewport["width"], "height": height})
        page.wait_for_timeout(400)
    # Tables and buttons below the first screen draw lazily: wait until no placeholder is left.
    page.wait_for_function(DRAWN, timeout=30_000)
    page.screenshot(path=str(path), full_page=True)
    page.set_viewport_size(viewport)
    return path
