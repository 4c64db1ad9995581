"""Office markups: kept per project, written by editors only, every change in the shared trail.

Runs against the PostGIS test database (``HEBI_TEST_DATABASE_URL``); the page tests run the
批注 and 留痕与管理 pages under AppTest with a real session of a real account.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import sqlalchemy as sa
from shapely.geometry import LineString, Point
from streamlit.testing.v1 import AppTest

from spatial import SpatialError
from spatial.audit import action_label
from spatial.auth import authenticate, create_user, start_session
from spatial.db import audit, items
from spatial.markups_office import ITEM_KIND, OfficeMarkupStore
from spatial.projects import add_member, create_project, open_project_store
from spatial.text import escape_markdown

PAYLOAD = "<img src=x onerror=alert(1)>${alert(2)}{{7*7}}"
PASSWORD = "markup-test-pw"


@dataclass
class Team:
    """Two projects; an editor, a viewer and an admin of P1, an editor of P2."""

    engine: sa.Engine
    p1: int
    p2: int
    editor: str
    viewer: str
    outsider: str
    admin: str

    def store(self, who: str, project: int) -> OfficeMarkupStore:
        user = authenticate(self.engine, who, PASSWORD)
        return OfficeMarkupStore(open_project_store(self.engine, user, project))


@pytest.fixture
def team(pg_engine: sa.Engine) -> Iterator[Team]:
    tag = uuid.uuid4().hex[:8]
    names = {k: f"mk_{k}_{tag}" for k in ("editor", "viewer", "outsider", "admin")}
    for key, role in (("editor", "editor"), ("viewer", "viewer"), ("outsider", "editor"),
                      ("admin", "admin")):
        create_user(pg_engine, names[key], PASSWORD, role)
    p1 = create_project(pg_engine, f"批注项目一 {tag}")
    p2 = create_project(pg_engine, f"批注项目二 {tag}")
    add_member(pg_engine, p1, names["editor"])
    add_member(pg_engine, p1, names["viewer"])
    add_member(pg_engine, p2, names["outsider"])
    yield Team(pg_engine, p1, p2, **names)


def _trail(engine: sa.Engine, project: int) -> list[Any]:
    with engine.connect() as con:
        return list(con.execute(sa.select(audit).where(audit.c.project_id == project)
                                .order_by(audit.c.id)).all())


def test_markups_belong_to_the_project_and_every_change_is_in_the_shared_trail(
    team: Team,
) -> None:
    mine = team.store(team.editor, team.p1)
    m = mine.create(Point(114.30, 35.70), "issue", PAYLOAD, author="冒名者")
    assert m.author == team.editor  # the signed-in user, never a name sent by the page
    mine.edit(m.id, "冒名者", category="verify", comment=PAYLOAD + " 已核")
    mine.reply(m.id, "冒名者", "收到 <b>")
    second = mine.create(LineString([(114.30, 35.70), (114.31, 35.71)]), "suggestion", "加宽",
                         "x")
    mine.delete(second.id, "x")
    third = mine.create(Point(114.31, 35.71), "issue", "第三条", "x")
    assert third.no == 3  # a number is never given twice, even after a delete

    rows = _trail(team.engine, team.p1)
    assert [r.action for r in rows] == ["markup_create", "markup_edit", "markup_reply",
                                        "markup_create", "markup_delete", "markup_create"]
    assert {r.actor for r in rows} == {team.editor}
    assert rows[0].title.startswith("#1 <img src=x onerror=alert(1)>")  # kept as typed
    assert rows[4].title == "#2 加宽" and rows[4].feature_count == 1
    assert not any(r.archive for r in rows)  # nothing for the layer restore to act on
    assert [action_label(r.action, "zh") for r in rows[:5]] == [
        "新建批注", "修改批注", "回复批注", "新建批注", "删除批注"]
    # The project store's trail (what the admin page lists) has them too, newest first.
    assert [e.action for e in mine.pg.audit_entries()][:2] == ["markup_create", "markup_delete"]
    # The page's own change log keeps the details (before → after) of the same changes.
    log = mine.audit_trail()
    assert [r.action for r in log] == ["create", "edit", "reply", "create", "delete", "create"]
    assert json.loads(log[1].detail)["before"]["category"] == "issue"

    # Another project sees none of it, and cannot open P1 at all.
    other = team.store(team.outsider, team.p2)
    assert other.markups() == [] and other.audit_trail() == []
    outsider = authenticate(team.engine, team.outsider, PASSWORD)
    with pytest.raises(SpatialError, match="not a member"):
        open_project_store(team.engine, outsider, team.p1)
    # Its own markup is numbered from 1 in its project and stays there.
    theirs = other.create(Point(114.32, 35.72), "issue", "乙的批注", "x")
    assert theirs.no == 1
    assert [x.comment for x in mine.markups()] == [PAYLOAD + " 已核", "第三条"]
    assert all("乙的批注" not in r.title for r in _trail(team.engine, team.p1))


def test_a_viewer_reads_but_cannot_write(team: Team) -> None:
    team.store(team.editor, team.p1).create(Point(114.30, 35.70), "issue", "看得见", "x")
    viewer = team.store(team.viewer, team.p1)
    assert not viewer.can_write
    (m,) = viewer.markups()
    assert m.comment == "看得见"
    before = len(_trail(team.engine, team.p1))
    for change in (lambda: viewer.create(Point(114.3, 35.7), "issue", "不许", "x"),
                   lambda: viewer.reply(m.id, "x", "不许"),
                   lambda: viewer.edit(m.id, "x", comment="不许"),
                   lambda: viewer.delete(m.id, "x")):
        with pytest.raises(SpatialError, match="只有查看权限"):
            change()
    assert [x.comment for x in viewer.markups()] == ["看得见"] and not m.replies
    assert len(_trail(team.engine, team.p1)) == before


def test_a_change_and_its_record_are_one_transaction(
    team: Team, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = team.store(team.editor, team.p1)
    store.create(Point(114.30, 35.70), "issue", "第一条", "x")

    def broken(*_args: Any, **_kw: Any) -> None:
        raise RuntimeError("the audit insert failed")

    monkeypatch.setattr(store, "_record", broken)
    with pytest.raises(RuntimeError):
        store.create(Point(114.31, 35.71), "issue", "不应保存", "x")
    fresh = team.store(team.editor, team.p1)
    assert [m.comment for m in fresh.markups()] == ["第一条"]
    assert len(_trail(team.engine, team.p1)) == 1
    with team.engine.connect() as con:
        (payload,) = con.execute(sa.select(items.c.payload).where(
            items.c.project_id == team.p1, items.c.kind == ITEM_KIND)).scalars()
    assert [m["comment"] for m in payload["markups"]] == ["第一条"]


def test_editors_saving_at_once_keep_every_markup_with_unique_numbers(team: Team) -> None:
    """Two sessions (two store objects, as two app processes would have) write at once."""
    from concurrent.futures import ThreadPoolExecutor

    stores = [team.store(team.editor, team.p1), team.store(team.editor, team.p1)]

    def add_six(s: int) -> list[int]:
        return [stores[s].create(Point(114.30 + i / 1000, 35.70), "issue", f"并发 {i}", "x").no
                for i in range(s * 6, s * 6 + 6)]

    with ThreadPoolExecutor(max_workers=2) as pool:
        numbers = [n for ns in pool.map(add_six, range(2)) for n in ns]
    assert sorted(numbers) == list(range(1, 13))
    kept = team.store(team.viewer, team.p1).markups()
    assert sorted(m.comment for m in kept) == sorted(f"并发 {i}" for i in range(12))
    assert len(_trail(team.engine, team.p1)) == 12


# --- the pages, under AppTest, signed in ----------------------------------------------------------


def _markup_page() -> None:
    from ui.pages.markup_page import render

    render()


def _admin_page() -> None:
    from ui.pages.admin_page import render

    render()


def _signed_in(fn: Any, team: Team, who: str, project: int) -> AppTest:
    at = AppTest.from_function(fn, default_timeout=90)
    at.session_state["lang"] = "zh"
    at.session_state["hebi_session_token"] = start_session(
        team.engine, authenticate(team.engine, who, PASSWORD))
    at.session_state["hebi_project_id"] = project
    at.run()
    assert not at.exception
    return at


@pytest.fixture
def office_env(pg_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    monkeypatch.setenv("HEBI_DATABASE_URL", pg_url)
    monkeypatch.setenv("HEBI_WORKSPACE", str(tmp_path))


@pytest.mark.usefixtures("office_env")
def test_markup_page_uses_the_signed_in_project_author_and_role(team: Team) -> None:
    at = _signed_in(_markup_page, team, team.editor, team.p1)
    assert not [i for i in at.text_input if i.key == "markup_author_input"]  # no typed name
    assert any(f"署名：{escape_markdown(team.editor)}" == c.value for c in at.caption)
    at.session_state["markup_pending"] = {
        "type": "Feature", "properties": {},
        "geometry": {"type": "Point", "coordinates": [114.30, 35.70]}}
    at.run()
    at.text_area(key="markup_text").input(PAYLOAD)
    next(b for b in at.button if b.label == "保存批注").click()
    at.run()
    assert not at.exception
    label = next(e.label for e in at.expander if e.label.startswith("#1 问题"))
    assert escape_markdown(team.editor) in label
    assert [m.comment for m in team.store(team.editor, team.p1).markups()] == [PAYLOAD]

    # The viewer of P1 reads it, with no drawing, saving, reply, edit or delete controls.
    v = _signed_in(_markup_page, team, team.viewer, team.p1)
    assert any("只有查看权限" in i.value for i in v.info)
    assert any(e.label.startswith("#1 问题") for e in v.expander)
    labels = {b.label for b in v.button}
    assert not labels & {"保存批注", "删除", "发送回复", "保存修改"}

    # An editor of P2 sees nothing of it — nor when a P1 id is put into the session.
    o = _signed_in(_markup_page, team, team.outsider, team.p2)
    assert not any(e.label.startswith("#1") for e in o.expander)
    assert "onerror" not in "\n".join(m.value for m in o.markdown)
    crafted = _signed_in(_markup_page, team, team.outsider, team.p1)
    assert any("不是该项目的成员" in e.value for e in crafted.error)
    assert not crafted.expander


@pytest.mark.usefixtures("office_env")
def test_admin_page_lists_markup_changes_in_the_shared_trail(team: Team) -> None:
    store = team.store(team.editor, team.p1)
    m = store.create(Point(114.30, 35.70), "issue", PAYLOAD, "x")
    store.reply(m.id, "x", "好")
    store.delete(m.id, "x")
    at = _signed_in(_admin_page, team, team.admin, team.p1)
    table = at.table[0].value
    assert list(table.iloc[:, 1])[:3] == ["删除批注", "回复批注", "新建批注"]
    assert set(table.iloc[:3, 0]) == {team.editor}
    assert str(table.iloc[2, 2]).startswith("#1 <img src=x onerror=alert(1)>")
