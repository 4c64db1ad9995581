"""Fixtures for real-browser tests.

``app_server`` runs ``streamlit run app.py`` on a free loopback port (one per
test worker) with a private workspace directory (env ``HEBI_WORKSPACE``).
``page`` is a Playwright page in Debian chromium; every request to a host that
is not loopback is aborted and fails the test, so a CDN reference or a tile
request in offline mode cannot go unnoticed.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import pytest
from playwright.sync_api import (
    Browser,
    FilePayload,
    FrameLocator,
    Page,
    Route,
    expect,
    sync_playwright,
)

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("HEBI_CHROMIUM", "/usr/bin/chromium")
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-quic",
    "--no-first-run",
    "--disable-sync",
]
ARTIFACTS = ROOT / "test-artifacts"
MAP_IFRAME = 'iframe[title="streamlit_folium.st_folium"]'

pytestmark = pytest.mark.browser


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every real-browser test, and let it retry twice.

    On a busy 2-core machine a click can land while Streamlit reruns and be
    dropped. Retries are reported (``R`` in the summary), never silent, and the
    unit and AppTest suites get none.
    """
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.browser)
            item.add_marker(pytest.mark.flaky(reruns=2, reruns_delay=1))


def is_local_url(url: str) -> bool:
    """True for loopback http(s)/ws URLs and for in-page schemes (data:, blob:, about:)."""
    parsed = urlparse(url)
    if parsed.scheme in {"data", "blob", "about", "chrome-error"}:
        return True
    host = (parsed.hostname or "").lower()
    return host in {"localhost", "::1"} or host.startswith("127.")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def app_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Start the app with ``streamlit run`` on loopback; yield its base URL."""
    port = _free_port()
    workspace = tmp_path_factory.mktemp("workspace")
    log_path = tmp_path_factory.mktemp("logs") / "streamlit.log"
    env = {**os.environ, "HEBI_WORKSPACE": str(workspace)}
    cmd = [
        sys.executable, "-m", "streamlit", "run", "app.py",
        "--server.port", str(port), "--server.address", "127.0.0.1",
        "--server.headless", "true", "--browser.gatherUsageStats", "false",
        "--server.fileWatcherType", "none",
    ]
    with log_path.open("wb") as log:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 90
            while True:
                try:
                    with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as r:
                        if r.read().strip() == b"ok":
                            break
                except OSError:
                    pass
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("streamlit did not start:\n" + log_path.read_text()[-3000:])
                time.sleep(0.3)
            yield base
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Debian chromium driven by Playwright (its own browser download cannot work here)."""
    if not Path(CHROMIUM).exists():
        pytest.fail("Debian chromium is missing: run `bash scripts/setup.sh --dev`")
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def outside_requests() -> list[str]:
    """Requests to non-loopback hosts seen during the test (the test fails if any)."""
    return []


@pytest.fixture
def page(
    browser: Browser, outside_requests: list[str], request: pytest.FixtureRequest
) -> Iterator[Page]:
    """A fresh page; non-loopback requests are aborted, recorded and fail the test."""
    ctx = browser.new_context(viewport={"width": 1400, "height": 900}, locale="zh-CN")

    def guard(route: Route) -> None:
        url = route.request.url
        if is_local_url(url):
            route.continue_()
        else:
            outside_requests.append(url)
            route.abort()

    ctx.route("**/*", guard)
    pg = ctx.new_page()
    yield pg
    ARTIFACTS.mkdir(exist_ok=True)
    try:
        pg.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    finally:
        ctx.close()
    assert not outside_requests, f"requests left the machine: {outside_requests[:5]}"


def wait_idle(page: Page, timeout_ms: int = 30_000) -> None:
    """Wait until Streamlit has rendered the app and finished running the script."""
    page.wait_for_selector('[data-testid="stApp"]', timeout=timeout_ms)
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')"
        " || !document.querySelector('[data-testid=\"stStatusWidget\"]').innerText"
        ".match(/Running|运行/)",
        timeout=timeout_ms,
    )
    page.wait_for_timeout(300)


def open_page(page: Page, base: str, path: str = "") -> None:
    """Navigate to an app page (``path`` like ``"coverage"``) and wait until it is idle."""
    page.goto(f"{base}/{path}", wait_until="domcontentloaded")
    wait_idle(page)


def add_my_layer(page: Page, base: str, file_name: str, body: bytes, title: str,
                 replace_ok: bool = True) -> None:
    """Upload a GeoJSON on the 我的图层 page and add it under ``title``.

    With ``replace_ok`` a replacement counts too (a retried test finds its layer from the
    first try); without it the layer must be new.
    """
    open_page(page, base, "import")
    upload: FilePayload = {"name": file_name, "mimeType": "application/geo+json", "buffer": body}
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(files=[upload])
    wait_idle(page)
    page.locator('[data-testid="stTextInput"] input').fill(title)
    page.get_by_role("button", name="加入我的图层").click()
    wait_idle(page)
    done = re.compile("已(加入|替换)图层") if replace_ok else re.compile("已加入图层")
    expect(page.get_by_text(done)).to_be_visible(timeout=30_000)


def map_frame(page: Page) -> FrameLocator:
    """The st_folium map iframe (first one on the page)."""
    return page.frame_locator(MAP_IFRAME).first
