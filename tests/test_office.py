"""Office mode: accounts, lock-out, sessions, project isolation, roles, index, plan loading."""

from __future__ import annotations

import uuid

import geopandas as gpd
import pytest
import sqlalchemy as sa
from shapely.geometry import Point

from spatial import SpatialError
from spatial.auth import (
    MAX_FAILURES,
    authenticate,
    create_user,
    end_session,
    session_user,
    start_session,
)
from spatial.db import sessions, users
from spatial.office_cli import main as office_cli
from spatial.projects import add_member, create_project, open_project_store, projects_for
from spatial.storage.postgis import PostGISStore
from ui.session import desk_address_allowed


def _name(tag: str) -> str:
    return f"{tag}_{uuid.uuid4().hex[:8]}"


def _pts(n: int) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"n": range(n)}, geometry=[Point(114.3, 35.7 + i / 1e3)
                                                     for i in range(n)], crs=4326)


def test_password_is_stored_only_as_a_slow_salted_hash(pg_engine: sa.Engine) -> None:
    name, secret = _name("u"), "correct horse 电池"
    uid = create_user(pg_engine, name, secret, "editor")
    other = create_user(pg_engine, _name("u"), secret, "editor")
    with pg_engine.connect() as con:
        rows = {r.id: r.password_hash for r in con.execute(sa.select(users.c.id,
                users.c.password_hash).where(users.c.id.in_([uid, other])))}
    assert all(h.startswith("$argon2id$") and secret not in h for h in rows.values())
    assert rows[uid] != rows[other]  # salted
    assert authenticate(pg_engine, name, secret).role == "editor"
    with pytest.raises(SpatialError):
        create_user(pg_engine, _name("u"), "short", "viewer")


def test_sign_in_refuses_after_repeated_failures(pg_engine: sa.Engine) -> None:
    name = _name("u")
    create_user(pg_engine, name, "right-password", "viewer")
    for _ in range(MAX_FAILURES - 1):
        with pytest.raises(SpatialError, match="Wrong user name or password"):
            authenticate(pg_engine, name, "wrong-password")
    with pytest.raises(SpatialError, match="locked"):
        authenticate(pg_engine, name, "wrong-password")
    with pytest.raises(SpatialError, match="locked"):  # even the right password, for now
        authenticate(pg_engine, name, "right-password")
    with pytest.raises(SpatialError, match="Wrong user name"):  # unknown name: same message
        authenticate(pg_engine, _name("nobody"), "whatever-pass")


def test_session_token_is_kept_hashed_and_ends(pg_engine: sa.Engine) -> None:
    name = _name("u")
    create_user(pg_engine, name, "right-password", "viewer")
    user = authenticate(pg_engine, name, "right-password")
    token = start_session(pg_engine, user)
    assert session_user(pg_engine, token) == user
    with pg_engine.connect() as con:
        stored = [r.token_hash for r in con.execute(sa.select(sessions.c.token_hash))]
    assert token not in stored
    assert session_user(pg_engine, token + "x") is None and session_user(pg_engine, None) is None
    end_session(pg_engine, token)
    assert session_user(pg_engine, token) is None


def test_users_see_only_their_projects_and_cannot_open_others(pg_engine: sa.Engine) -> None:
    a, b, boss = _name("a"), _name("b"), _name("admin")
    for n, role in ((a, "editor"), (b, "editor"), (boss, "admin")):
        create_user(pg_engine, n, "right-password", role)
    pa, pb = create_project(pg_engine, _name("项目A")), create_project(pg_engine, _name("项目B"))
    add_member(pg_engine, pa, a)
    add_member(pg_engine, pb, b)
    ua, ub = (authenticate(pg_engine, n, "right-password") for n in (a, b))
    uadmin = authenticate(pg_engine, boss, "right-password")
    open_project_store(pg_engine, ua, pa).write_layer("甲的图层", _pts(3))
    assert [p.project_id for p in projects_for(pg_engine, ub)] == [pb]
    assert open_project_store(pg_engine, ub, pb).list_layers() == []
    with pytest.raises(SpatialError, match="not a member"):
        open_project_store(pg_engine, ub, pa)  # a crafted project id
    assert {pa, pb} <= {p.project_id for p in projects_for(pg_engine, uadmin)}
    assert open_project_store(pg_engine, uadmin, pa).list_layers() == ["甲的图层"]


def test_roles_viewer_reads_editor_writes_admin_restores(
    pg_engine: sa.Engine, pg_project: int
) -> None:
    PostGISStore(pg_engine, pg_project, actor="ed", role="editor").write_layer("x", _pts(2))
    viewer = PostGISStore(pg_engine, pg_project, actor="v", role="viewer")
    assert viewer.list_layers() == ["x"] and not viewer.can_write
    for attempt in (lambda: viewer.write_layer("y", _pts(1)), lambda: viewer.delete_layer("x")):
        with pytest.raises(SpatialError, match="only view"):
            attempt()
    editor = PostGISStore(pg_engine, pg_project, actor="ed", role="editor")
    editor.delete_layer("x")
    with pytest.raises(SpatialError, match="administrator"):
        editor.restore(editor.audit_entries()[0].entry_id)
    admin = PostGISStore(pg_engine, pg_project, actor="boss", role="admin")
    admin.restore(admin.audit_entries()[0].entry_id)
    assert [e.action for e in admin.audit_entries()] == ["restore", "delete", "upload"]
    assert [e.actor for e in admin.audit_entries()] == ["boss", "ed", "ed"]


def test_layer_tables_have_a_spatial_index(pg_engine: sa.Engine, pg_project: int) -> None:
    store = PostGISStore(pg_engine, pg_project)
    store.write_layer("indexed", _pts(5))
    table = store.layer_infos()[0].layer_id
    with pg_engine.connect() as con:
        defs = [r[0] for r in con.execute(
            sa.text("SELECT indexdef FROM pg_indexes WHERE tablename = :t"), {"t": table})]
    assert any("USING gist" in d for d in defs)


def test_scenario_and_rule_changes_are_audited_and_viewers_only_read(
    pg_engine: sa.Engine, pg_project: int
) -> None:
    store = PostGISStore(pg_engine, pg_project, actor="planner", role="editor")
    store.save_item("scenario", "方案一", {"added": [[114.3, 35.7]]})
    store.save_item("rules", "规则表", {"school": 500})
    assert store.load_item("scenario", "方案一") == {"added": [[114.3, 35.7]]}
    assert store.list_items("scenario") == ["方案一"]
    assert [(e.action, e.title) for e in store.audit_entries()] == [
        ("rules", "规则表"), ("scenario", "方案一"),
    ]
    viewer = PostGISStore(pg_engine, pg_project, actor="v", role="viewer")
    assert viewer.load_item("rules", "规则表") == {"school": 500}
    for attempt in (lambda: viewer.save_item("rules", "规则表", {"school": 1}),
                    lambda: viewer.delete_item("rules", "规则表")):
        with pytest.raises(SpatialError, match="only view"):
            attempt()
    assert store.load_item("rules", "规则表") == {"school": 500}


def test_load_plan_command_copies_the_shipped_layers(
    pg_url: str, pg_engine: sa.Engine, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    import layers

    monkeypatch.setenv("HEBI_DATABASE_URL", pg_url)
    name = _name("规划")
    assert office_cli(["add-project", name]) == 0
    assert office_cli(["load-plan", name]) == 0
    assert "plan layers" in capsys.readouterr().out
    from spatial.projects import project_by_name

    store = PostGISStore(pg_engine, project_by_name(pg_engine, name) or -1)
    bonded = layers.get_spec("bonded_zone").title("zh") if any(
        s.id == "bonded_zone" for s in layers.all_specs()) else store.list_layers()[0]
    assert bonded in store.list_layers()
    assert len(store.list_layers()) >= 10
    assert office_cli(["load-plan", "没有这个项目"]) == 2


def test_desk_mode_serves_loopback_only() -> None:
    assert desk_address_allowed("127.0.0.1") and desk_address_allowed("::1")
    assert desk_address_allowed("localhost")
    for wide in (None, "", "0.0.0.0", "::", "192.168.1.5"):
        assert not desk_address_allowed(wide)
