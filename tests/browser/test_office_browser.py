"""Real browser, office mode: two users in two browser contexts, two app processes, one database.

* A's project layers are invisible to B (pages, project chooser, typed URLs).
* A layer uploaded through one app process is seen through the other (no state in the app).
* A viewer gets no upload and no remove; every write shows in the admin's audit trail.
* The browser holds no session credential (no cookie carries the session token).
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa
from playwright.sync_api import Browser, BrowserContext, FilePayload, Page, Route, expect

from tests.browser.conftest import ROOT, _free_port, is_local_url, open_page, wait_idle

pytestmark = pytest.mark.browser

PASSWORD = "office-test-pw"


@dataclass
class Office:
    """Two app processes on one database, and the accounts and projects made for the test."""

    urls: tuple[str, str]
    alice: str
    bob: str
    victor: str
    boss: str
    project_a: str
    project_b: str
    project_a_id: int


def _start(port: int, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    cmd = [
        sys.executable, "-m", "streamlit", "run", "app.py",
        "--server.port", str(port), "--server.address", "127.0.0.1",
        "--server.headless", "true", "--browser.gatherUsageStats", "false",
        "--server.fileWatcherType", "none",
    ]
    with log.open("wb") as fh:
        return subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=fh, stderr=subprocess.STDOUT)


def _wait_healthy(base: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 90
    while True:
        try:
            with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as r:
                if r.read().strip() == b"ok":
                    return
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError("streamlit did not start:\n" + log.read_text()[-3000:])
        time.sleep(0.3)


@pytest.fixture(scope="module")
def office(
    pg_url: str, pg_engine: sa.Engine, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Office]:
    """Accounts, two projects and two app processes (two ports) on the test database."""
    from spatial.auth import create_user
    from spatial.projects import add_member, create_project

    tag = uuid.uuid4().hex[:6]
    names = {k: f"{k}_{tag}" for k in ("alice", "bob", "victor", "boss")}
    for key, role in (("alice", "editor"), ("bob", "editor"), ("victor", "viewer"),
                      ("boss", "admin")):
        create_user(pg_engine, names[key], PASSWORD, role)
    pa, pb = f"甲项目 {tag}", f"乙项目 {tag}"
    pa_id, pb_id = create_project(pg_engine, pa), create_project(pg_engine, pb)
    add_member(pg_engine, pa_id, names["alice"])
    add_member(pg_engine, pa_id, names["victor"])
    add_member(pg_engine, pb_id, names["bob"])
    logs = tmp_path_factory.mktemp("office-logs")
    env = {**os.environ, "HEBI_DATABASE_URL": pg_url, "HEBI_DEFAULT_BASEMAP": "none",
           "HEBI_WORKSPACE": str(tmp_path_factory.mktemp("unused-desk-workspace"))}
    ports = (_free_port(), _free_port())
    procs = [_start(p, env, logs / f"app{p}.log") for p in ports]
    try:
        urls = (f"http://127.0.0.1:{ports[0]}", f"http://127.0.0.1:{ports[1]}")
        for url, proc, port in zip(urls, procs, ports, strict=True):
            _wait_healthy(url, proc, logs / f"app{port}.log")
        yield Office(urls, names["alice"], names["bob"], names["victor"], names["boss"],
                     pa, pb, pa_id)
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()


@pytest.fixture
def new_context(browser: Browser) -> Iterator[Callable[[], BrowserContext]]:
    """Make fresh browser contexts (separate cookies, storage), loopback only; closed after."""
    made: list[BrowserContext] = []
    outside: list[str] = []

    def guard(route: Route) -> None:
        if is_local_url(route.request.url):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    def new() -> BrowserContext:
        ctx = browser.new_context(viewport={"width": 1400, "height": 900}, locale="zh-CN")
        ctx.route("**/*", guard)
        made.append(ctx)
        return ctx

    yield new
    for ctx in made:
        ctx.close()
    assert not outside, f"requests left the machine: {outside[:5]}"


_NAV = {"import": "我的图层", "map": "规划图", "coverage": "生活圈覆盖", "admin": "留痕与管理"}


def _go(page: Page, where: str) -> None:
    """Follow the sidebar link to a page (a typed URL would reload: a new, signed-out tab)."""
    page.locator('[data-testid="stSidebarNav"]').get_by_text(_NAV[where]).click()
    wait_idle(page)


def _sign_in(ctx: BrowserContext, base: str, user: str, where: str = "", path: str = "") -> Page:
    """Open ``path`` (signed out: the sign-in form), sign in, then go to page ``where``."""
    page = ctx.new_page()
    open_page(page, base, path or "?basemap=none")
    page.get_by_label("用户名").fill(user)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    wait_idle(page)
    expect(page.get_by_text(f"已登录：{user}")).to_be_visible(timeout=30_000)
    if where:
        _go(page, where)
    return page


def _geojson(name: str) -> bytes:
    fc = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"名称": f"{name}{i}"},
         "geometry": {"type": "Point", "coordinates": [114.30 + i / 500, 35.75]}}
        for i in range(3)]}
    return json.dumps(fc, ensure_ascii=False).encode()


def _upload(page: Page, title: str) -> None:
    payload: FilePayload = {"name": "points.geojson", "mimeType": "application/geo+json",
                            "buffer": _geojson(title)}
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(files=[payload])
    wait_idle(page)
    expect(page.get_by_text("读取成功：3 个要素")).to_be_visible(timeout=30_000)
    page.locator('[data-testid="stTextInput"] input').fill(title)
    page.get_by_role("button", name="加入我的图层").click()
    wait_idle(page)
    expect(page.get_by_text("已加入图层")).to_be_visible(timeout=30_000)


def test_two_users_two_processes_one_database(
    office: Office, new_context: Callable[[], BrowserContext], pg_engine: sa.Engine
) -> None:
    server1, server2 = office.urls
    contexts = [new_context() for _ in range(5)]
    ctx_a, ctx_a2, ctx_b, ctx_v, ctx_boss = contexts
    secret_title = f"甲方地块 {uuid.uuid4().hex[:6]}"

    # Signed out, nothing of the app is served: only the sign-in form.
    first = ctx_a.new_page()
    open_page(first, server1, "import")
    expect(first.get_by_role("button", name="登录")).to_be_visible()
    assert first.locator('[data-testid="stFileUploaderDropzoneInput"]').count() == 0
    first.close()

    # A (editor) uploads through process 1.
    a_page = _sign_in(ctx_a, server1, office.alice, "import")
    _upload(a_page, secret_title)

    # The same layer is seen through process 2 (another context of A: one database, no app state).
    a2 = _sign_in(ctx_a2, server2, office.alice, "import")
    expect(a2.get_by_text(secret_title)).to_be_visible(timeout=30_000)

    # B, in another context on process 2: A's project and layer are nowhere.
    b = _sign_in(ctx_b, server2, office.bob, "import")
    expect(b.get_by_text("还没有图层")).to_be_visible(timeout=30_000)
    b.locator('[data-testid="stSelectbox"]').first.click()
    options = b.locator('[role="option"]').all_inner_texts()
    assert office.project_b in options and office.project_a not in options
    b.keyboard.press("Escape")
    for where in ("map", "import"):
        _go(b, where)
        body = b.inner_text("body")
        assert secret_title not in body and office.project_a not in body, where
    assert b.locator('[data-testid="stSidebarNav"]').get_by_text("留痕与管理").count() == 0
    # Typed URLs (a page path, a project id in the query) open the sign-in form, then B's own.
    for path in (f"admin?basemap=none&project={office.project_a_id}",
                 f"?basemap=none&hebi_project_id={office.project_a_id}&groups=user"):
        typed = ctx_b.new_page()
        open_page(typed, server2, path)
        assert secret_title not in typed.inner_text("body")
        typed.close()
        again = _sign_in(ctx_b, server2, office.bob, path=path)
        body = again.inner_text("body")
        assert secret_title not in body and office.project_a not in body, path
        assert "Traceback" not in body
        again.close()

    # The viewer of A's project sees the layer but cannot upload or remove.
    v = _sign_in(ctx_v, server1, office.victor, "import")
    expect(v.get_by_text(secret_title)).to_be_visible(timeout=30_000)
    expect(v.get_by_text("您只有查看权限")).to_be_visible()
    assert v.locator('[data-testid="stFileUploaderDropzoneInput"]').count() == 0
    assert v.get_by_role("button", name="删除").count() == 0

    # A removes the layer through process 2; the admin sees every write in the audit trail.
    a2.get_by_role("button", name="删除").first.click()
    wait_idle(a2)
    a2.get_by_role("button", name="确认删除").click()
    wait_idle(a2)
    expect(a2.get_by_text("已删除图层")).to_be_visible(timeout=30_000)
    boss = _sign_in(ctx_boss, server1, office.boss, "admin")
    # An admin sees every project: type to filter the chooser (its list is virtualised).
    boss.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]').first.click()
    boss.keyboard.type(office.project_a)
    boss.keyboard.press("Enter")
    wait_idle(boss)
    table = boss.locator('[data-testid="stTable"]')
    expect(table).to_be_visible(timeout=30_000)
    text = boss.inner_text("body")
    assert "可恢复的图层" in text and secret_title in text
    grid = table.inner_text()
    for word in ("上传图层", "删除图层", office.alice):
        assert word in grid or word in text, word

    # No cookie in any context carries a session token (the server keeps only their hashes).
    from spatial.db import sessions

    with pg_engine.connect() as con:
        hashes = {r[0] for r in con.execute(sa.select(sessions.c.token_hash))}
    for ctx in contexts:
        for cookie in ctx.cookies():
            assert hashlib.sha256(cookie["value"].encode()).hexdigest() not in hashes
    assert a_page.evaluate("document.cookie").count("=") <= 1  # at most Streamlit's XSRF token
