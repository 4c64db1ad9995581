"""Rule tables and statistics belong to a project: saved by one session, loaded by the next.

The coverage page's 生活圈 rule table and the indicators page's uploaded
statistics go to the current store (desk workspace, or the signed-in user's
PostGIS project) through ``save_item``/``load_item``, audited; a member of
another project never sees them. Office-mode sessions are signed in the way
``ui.session`` signs them in (a session token and a chosen project in the
Streamlit session).
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from streamlit.testing.v1 import AppTest

from spatial.coverage_rules import RULES_ITEM, load_rules
from spatial.statistics_import import STATISTICS_KIND
from spatial.workspace import GeoPackageWorkspace, workspace_path

_PASSWORD = "right-password"
SHEET = (
    "园区,亩均税收（万元/亩）,规上企业数\n"
    "城东园区,12,30\n"
).encode("gbk")


def _coverage() -> None:
    from ui.pages.coverage_page import render

    render()


def _indicators() -> None:
    from ui.pages.indicators_page import render

    render()


@pytest.fixture(autouse=True)
def _env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HEBI_WORKSPACE", str(tmp_path / "ws"))
    monkeypatch.setenv("HEBI_DEFAULT_BASEMAP", "none")
    monkeypatch.delenv("TIANDITU_KEY", raising=False)
    monkeypatch.delenv("HEBI_DATA_DIR", raising=False)
    monkeypatch.delenv("HEBI_DATABASE_URL", raising=False)


def _run(script: Any, state: dict[str, Any] | None = None) -> AppTest:
    at = AppTest.from_function(script, default_timeout=120)
    for key, value in (state or {}).items():
        at.session_state[key] = value
    at.run()
    assert not at.exception, at.exception
    return at


def _edit_first_rule(at: AppTest, metres: float) -> AppTest:
    """Change the first rule's walking distance in the editor and press Apply."""
    at.session_state["cov_rules_editor"] = {
        "edited_rows": {0: {"最大步行距离（米）": metres}}, "added_rows": [], "deleted_rows": [],
    }
    at.button(key="cov_rules_apply").click().run()
    assert not at.exception, at.exception
    return at


def _saved_first_rule(store: Any) -> float:
    """The first rule's distance in the rule table the store keeps."""
    payload = store.load_item("rules", RULES_ITEM)
    assert payload is not None, "no rule table saved"
    return float(payload["rows"][0][3])


def _rule_in_force(at: AppTest) -> float:
    """The first rule's distance as the session's model uses it, checked against the editor."""
    model_rules = at.session_state["cov_model"].rules
    shown = at.data_editor(key="cov_rules_editor").value
    assert float(shown["最大步行距离（米）"].iloc[0]) == float(
        model_rules.table["max_walk_m"].iloc[0])
    return float(model_rules.table["max_walk_m"].iloc[0])


# --- desk mode ---------------------------------------------------------------------------------


def test_desk_rule_edit_is_saved_audited_and_loaded_by_a_new_session() -> None:
    default = float(load_rules().table["max_walk_m"].iloc[0])
    edited = default + 37.0
    first = _run(_coverage)
    assert _rule_in_force(first) == default
    _edit_first_rule(first, edited)
    assert _rule_in_force(first) == edited
    ws = GeoPackageWorkspace(workspace_path())
    assert _saved_first_rule(ws) == edited
    assert [(e.action, e.title, e.feature_count) for e in ws.audit_entries()] == [
        ("rules", RULES_ITEM, len(load_rules().table)),
    ]
    second = _run(_coverage)  # a new browser session
    assert _rule_in_force(second) == edited
    second.button(key="cov_rules_reset").click().run()
    assert not second.exception
    assert _rule_in_force(second) == default
    assert ws.load_item("rules", RULES_ITEM) is None
    assert ws.audit_entries()[0].action == "rules_delete"


def test_desk_statistics_saved_then_chosen_in_a_new_session() -> None:
    first = _run(_indicators)
    first.file_uploader(key="ind_upload").set_value(("园区统计.csv", SHEET, "text/csv")).run()
    assert not first.exception
    assert first.text_input(key="ind_stats_name").value == "园区统计"
    first.text_input(key="ind_stats_name").set_value("园区 <b>统计</b>")
    first.button(key="ind_stats_save").click().run()
    assert not first.exception
    assert first.selectbox(key="ind_saved_stats").value == "园区 <b>统计</b>"
    assert any("已将统计表保存到项目" in s.value and "<b>" not in s.value for s in first.success)
    ws = GeoPackageWorkspace(workspace_path())
    assert ws.list_items(STATISTICS_KIND) == ["园区 <b>统计</b>"]
    entry = ws.audit_entries()[0]
    assert (entry.action, entry.feature_count) == ("statistics", 1)

    second = _run(_indicators)  # a new session: no upload, the project's sheet is offered
    assert second.selectbox(key="ind_saved_stats").value == ""
    second.selectbox(key="ind_saved_stats").set_value("园区 <b>统计</b>").run()
    second.radio(key="ind_origin").set_value("upload").run()
    assert not second.exception
    assert second.selectbox(key="ind_column").value == "upload:亩均税收（万元/亩）"
    values = second.session_state["indicator_choropleth"].values
    assert sorted(v for v in values.values() if v is not None) == [12.0]
    second.button(key="ind_stats_delete").click().run()
    assert not second.exception
    assert ws.list_items(STATISTICS_KIND) == []
    assert ws.audit_entries()[0].action == "statistics_delete"


# --- office mode: two projects -------------------------------------------------------------------


@pytest.fixture
def office(pg_engine: sa.Engine, pg_url: str, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Two projects; an editor of each, and a viewer of A's."""
    from spatial.auth import create_user
    from spatial.projects import add_member, create_project

    monkeypatch.setenv("HEBI_DATABASE_URL", pg_url)
    tag = uuid.uuid4().hex[:8]
    out: dict[str, Any] = {
        "a": create_project(pg_engine, f"项目甲 {tag}"),
        "b": create_project(pg_engine, f"项目乙 {tag}"),
    }
    for who, role, project in (("ed_a", "editor", "a"), ("ed_b", "editor", "b"),
                               ("view_a", "viewer", "a")):
        name = f"{who}_{tag}"
        create_user(pg_engine, name, _PASSWORD, role)
        add_member(pg_engine, out[project], name)
        out[who] = name
    return out


def _signed_in(engine: sa.Engine, username: str, project_id: int) -> dict[str, Any]:
    """The session state of a tab whose user signed in and chose a project."""
    from spatial.auth import authenticate, start_session

    token = start_session(engine, authenticate(engine, username, _PASSWORD))
    return {"hebi_session_token": token, "hebi_project_id": project_id}


def test_office_rule_table_is_the_projects_own(
    pg_engine: sa.Engine, office: dict[str, Any]
) -> None:
    from spatial.storage.postgis import PostGISStore

    default = float(load_rules().table["max_walk_m"].iloc[0])
    edited = default + 11.0
    a = _run(_coverage, _signed_in(pg_engine, office["ed_a"], office["a"]))
    _edit_first_rule(a, edited)
    assert _rule_in_force(a) == edited
    store_a = PostGISStore(pg_engine, office["a"])
    assert _saved_first_rule(store_a) == edited
    assert [(e.action, e.actor) for e in store_a.audit_entries()] == [("rules", office["ed_a"])]
    # Another member of A, in a new session, works with A's table ...
    viewer = _run(_coverage, _signed_in(pg_engine, office["view_a"], office["a"]))
    assert _rule_in_force(viewer) == edited
    # ... may try an edit in the session, which is not saved to the project.
    assert any("只在本次会话中生效" in c.value for c in viewer.caption)
    _edit_first_rule(viewer, edited + 1.0)
    assert _rule_in_force(viewer) == edited + 1.0
    assert _saved_first_rule(store_a) == edited
    # B's project keeps the default table and never sees A's.
    b = _run(_coverage, _signed_in(pg_engine, office["ed_b"], office["b"]))
    assert _rule_in_force(b) == default
    assert PostGISStore(pg_engine, office["b"]).item_versions("rules") == {}


def test_office_statistics_are_seen_only_in_their_project(
    pg_engine: sa.Engine, office: dict[str, Any]
) -> None:
    from spatial.storage.postgis import PostGISStore

    a = _run(_indicators, _signed_in(pg_engine, office["ed_a"], office["a"]))
    a.file_uploader(key="ind_upload").set_value(("甲统计.csv", SHEET, "text/csv")).run()
    a.button(key="ind_stats_save").click().run()
    assert not a.exception
    assert PostGISStore(pg_engine, office["a"]).list_items(STATISTICS_KIND) == ["甲统计"]
    viewer = _run(_indicators, _signed_in(pg_engine, office["view_a"], office["a"]))
    viewer.selectbox(key="ind_saved_stats").set_value("甲统计").run()
    assert not viewer.exception
    assert not [b for b in viewer.button if b.key in {"ind_stats_delete", "ind_stats_save"}]
    b = _run(_indicators, _signed_in(pg_engine, office["ed_b"], office["b"]))
    assert not [s for s in b.selectbox if s.key == "ind_saved_stats"]
    assert PostGISStore(pg_engine, office["b"]).audit_entries() == []


def test_indicators_page_applies_the_projects_rule_table() -> None:
    from spatial.coverage_rules import rules_from_frame, rules_to_payload

    def coverage_values(at: AppTest) -> tuple[str, dict[str, float | None]]:
        at.radio(key="ind_origin").set_value("coverage").run()
        assert not at.exception, at.exception
        column = str(at.selectbox(key="ind_column").value)
        assert column.startswith("coverage_")
        return column, dict(at.session_state["indicator_choropleth"].values)

    column, before = coverage_values(_run(_indicators))
    assert any(v for v in before.values())  # the shipped data cover some residents
    # The project's table: every facility serves only 1 m around it.
    table = load_rules().table.copy()
    table["max_walk_m"] = 1.0
    GeoPackageWorkspace(workspace_path()).save_item(
        "rules", RULES_ITEM, rules_to_payload(rules_from_frame(table)))
    column_after, after = coverage_values(_run(_indicators))
    assert column_after == column and set(after) == set(before)
    # Within 1 m of a facility almost nobody lives (a block whose access point happens to fall
    # by a facility's may remain): the shares all but vanish, none grows.
    assert all((after[k] or 0.0) <= (before[k] or 0.0) for k in before)
    assert sum(v or 0.0 for v in after.values()) < 0.1 * sum(v or 0.0 for v in before.values())
