"""Markups (标注/批注): a point, line or area with a comment, a category and a reply thread.

The planner draws on the map, writes a comment and picks a category (问题 / 建议 /
核实). In desk mode markups are kept per project as one layer of a
:class:`~spatial.storage.LayerStore` (the GeoPackage beside the user's workspace) and every
change — create, edit, reply, delete — is appended to an audit trail through
:data:`AuditSink`. In office mode :class:`spatial.markups_office.OfficeMarkupStore` keeps them
in the project in PostGIS and writes each change to the shared audit trail in the same
transaction (it overrides the storage hooks of :class:`MarkupStore`).

All text in a markup (comment, replies, author) is untrusted: this module keeps it as
typed (minus control characters) and each place that shows it escapes it —
``spatial.escape_text`` for folium, ``escape_markdown`` for Streamlit, ``parse_math=False``
for matplotlib (see :func:`draw_markups`).
"""

from __future__ import annotations

import json
import sqlite3
import threading
import unicodedata
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

import geopandas as gpd
import pandas as pd
import shapely
from matplotlib.lines import Line2D
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from layers.fields import local_time, local_time_header
from spatial._errors import SpatialError
from spatial.audit import actor_label
from spatial.crs import WGS84
from spatial.storage import LayerStore, check_layer_name
from spatial.tables import to_gpkg_bytes

__all__ = [
    "CATEGORIES",
    "CATEGORY_COLOURS",
    "COMMENT_MAX",
    "MARKUP_EXTENT",
    "AuditRecord",
    "AuditSink",
    "Markup",
    "MarkupStore",
    "Reply",
    "audit_table",
    "category_name",
    "default_markup_store",
    "draw_markups",
    "filter_markups",
    "geometry_from_geojson",
    "markups_geojson_bytes",
    "markups_gpkg_bytes",
    "markups_table",
    "store_audit_sink",
]

# Category code → (中文, English). Codes are stored; names are shown.
CATEGORIES: dict[str, tuple[str, str]] = {
    "issue": ("问题", "Issue"),
    "suggestion": ("建议", "Suggestion"),
    "verify": ("核实", "To verify"),
}
# Colours no plan symbol uses (the 七大节点 are red, roads orange, water blue, parks violet):
# a markup never reads as part of the plan, on screen or in print.
CATEGORY_COLOURS: dict[str, str] = {
    "issue": "#00b8d4",
    "suggestion": "#76ff03",
    "verify": "#ffd600",
}
COMMENT_MAX = 2000
AUTHOR_MAX = 40
MAX_VERTICES = 5000
# (min lon, min lat, max lon, max lat): Hebi city and its surroundings, generously padded.
# A markup far outside it is a drawing slip (or a forged request), not a comment on this plan.
MARKUP_EXTENT: tuple[float, float, float, float] = (113.0, 35.0, 115.5, 36.8)
_GEOM_TYPES = ("Point", "LineString", "Polygon", "MultiPoint", "MultiLineString", "MultiPolygon")
_ACTIONS = {"create": ("新建", "create"), "edit": ("修改", "edit"),
            "reply": ("回复", "reply"), "delete": ("删除", "delete")}


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def category_name(code: str, lang: str = "zh") -> str:
    """Return the shown name of a category code (``问题`` / ``Issue`` …)."""
    zh, en = CATEGORIES.get(code, ("未知", "Unknown"))
    return en if lang == "en" else zh


def clean_text(text: str, limit: int, what_zh: str, what_en: str) -> str:
    """Return ``text`` without control characters (newlines kept), trimmed, or raise.

    Raises
    ------
    SpatialError
        When nothing is left or the text is longer than ``limit`` characters.
    """
    s = unicodedata.normalize("NFC", str(text))
    s = "".join(ch for ch in s if ch in "\n\t" or unicodedata.category(ch)[0] != "C").strip()
    if not s:
        raise SpatialError(f"{what_zh}不能为空。", f"The {what_en} must not be empty.")
    if len(s) > limit:
        raise SpatialError(f"{what_zh}过长：最多 {limit} 个字符。",
                           f"The {what_en} is too long: at most {limit} characters.")
    return s


def check_category(code: str) -> str:
    """Return ``code`` if it is one of :data:`CATEGORIES`, else raise."""
    if code not in CATEGORIES:
        raise SpatialError("类别只能是“问题”“建议”或“核实”。",
                           "The category must be Issue, Suggestion or To verify.")
    return code


def check_geometry(geom: BaseGeometry) -> BaseGeometry:
    """Return a WGS84 markup geometry if it is usable, else raise.

    Usable: a point, line or area (or a multi-part one), not empty, valid, with at most
    :data:`MAX_VERTICES` vertices and inside :data:`MARKUP_EXTENT`.
    """
    bad = SpatialError("标注图形无效：请在地图上重新绘制点、线或面。",
                       "The markup shape is not valid: draw a point, line or area again.")
    if not isinstance(geom, BaseGeometry) or geom.geom_type not in _GEOM_TYPES or geom.is_empty:
        raise bad
    if shapely.get_num_coordinates(geom) > MAX_VERTICES or not geom.is_valid:
        raise bad
    x0, y0, x1, y1 = geom.bounds
    ex0, ey0, ex1, ey1 = MARKUP_EXTENT
    if x0 < ex0 or y0 < ey0 or x1 > ex1 or y1 > ey1:
        raise SpatialError("标注超出鹤壁市范围：请在规划区附近绘制。",
                           "The markup lies outside Hebi: draw it near the plan area.")
    return geom


def geometry_from_geojson(obj: Mapping[str, Any] | None) -> BaseGeometry:
    """Return the checked geometry of a GeoJSON Feature or geometry (as Leaflet.draw gives it).

    Raises
    ------
    SpatialError
        When ``obj`` is not a GeoJSON point, line or area inside the extent.
    """
    bad = SpatialError("未能读取所绘图形：请重新绘制。",
                       "The drawn shape could not be read: draw it again.")
    if not isinstance(obj, Mapping):
        raise bad
    geom_obj = obj.get("geometry") if obj.get("type") == "Feature" else obj
    try:
        geom = shape(geom_obj)  # type: ignore[arg-type]
    except Exception as exc:  # shapely raises several types for malformed GeoJSON
        raise bad from exc
    return check_geometry(geom)


@dataclass(frozen=True)
class Reply:
    """One reply in a markup's thread (``text`` and ``author`` are untrusted)."""

    author: str
    time_utc: str
    text: str


@dataclass(frozen=True)
class Markup:
    """A point, line or area with a comment, in WGS84.

    Attributes
    ----------
    id : str
        Internal identifier (a UUID hex), never shown.
    no : int
        The markup's number in its project (1, 2, …), shown on the map and the figure.
    geometry : BaseGeometry
        WGS84 lon/lat.
    category : str
        A key of :data:`CATEGORIES`.
    comment, author : str
        Untrusted text.
    created_utc, updated_utc : str
        ISO 8601 times, UTC.
    replies : tuple of Reply
        The thread, oldest first.
    """

    id: str
    no: int
    geometry: BaseGeometry
    category: str
    comment: str
    author: str
    created_utc: str
    updated_utc: str
    replies: tuple[Reply, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class AuditRecord:
    """One change to the markups of a project: who did what to which markup, when."""

    time_utc: str
    project: str
    actor: str
    action: str  # one of create, edit, reply, delete
    markup_no: int
    detail: str  # JSON: the changed fields (untrusted text inside)

    def action_name(self, lang: str = "zh") -> str:
        """The shown name of :attr:`action`."""
        zh, en = _ACTIONS.get(self.action, ("未知", "unknown"))
        return en if lang == "en" else zh


AuditSink = Callable[[AuditRecord], None]

_COLUMNS = ["mid", "no", "category", "comment", "author", "created_utc", "updated_utc", "replies"]
_AUDIT_COLUMNS = ["time_utc", "project", "actor", "action", "markup_no", "detail"]


def _layer_names(project: str) -> tuple[str, str]:
    p = check_layer_name(f"p_{project}")[2:]
    return check_layer_name(f"markups_{p}"), check_layer_name(f"markups_audit_{p}")


def _read_or_empty(store: LayerStore, name: str, columns: Sequence[str]) -> gpd.GeoDataFrame:
    if name not in store.list_layers():
        return gpd.GeoDataFrame({c: [] for c in columns}, geometry=gpd.GeoSeries([], crs=WGS84))
    return store.read_layer(name)


def store_audit_sink(store: LayerStore, project: str = "default") -> AuditSink:
    """Return a sink that appends audit records to the project's audit layer in ``store``.

    The records are kept as a table without geometry; the office deployment's shared
    audit trail replaces this sink (pass it to :class:`MarkupStore`).
    """
    _, audit_name = _layer_names(project)

    def append(record: AuditRecord) -> None:
        old = _read_or_empty(store, audit_name, _AUDIT_COLUMNS)
        row = {c: getattr(record, c) for c in _AUDIT_COLUMNS}
        new = pd.DataFrame([row])
        frame = pd.concat([pd.DataFrame(old.drop(columns="geometry")), new], ignore_index=True)
        store.write_layer(audit_name, gpd.GeoDataFrame(
            frame[_AUDIT_COLUMNS], geometry=gpd.GeoSeries([None] * len(frame), crs=WGS84)))

    return append


# Each change reads, changes and rewrites the layer: serialise the changes to one layer made by
# the sessions of this server process, so that two planners saving at once both keep theirs.
_LOCKS: dict[tuple[str, str], threading.Lock] = {}
_LOCKS_GUARD = threading.Lock()


def _layer_lock(store: LayerStore, layer: str) -> threading.Lock:
    key = (str(getattr(store, "path", id(store))), layer)
    with _LOCKS_GUARD:
        return _LOCKS.setdefault(key, threading.Lock())


class MarkupStore:
    """The markups of one project, kept as one layer of a :class:`LayerStore`.

    Parameters
    ----------
    store : LayerStore
        Where the layer lives (the desk-mode GeoPackage, later the project store).
    project : str
        The project's identifier (lower-case letters, digits and ``_``).
    audit : AuditSink, optional
        Where every change is recorded; by default an audit layer beside the markups.

    Notes
    -----
    Each change reads and rewrites the whole layer: a project holds tens to hundreds
    of markups, and the store's write is atomic, so a reader never sees half a layer.
    """

    def __init__(self, store: LayerStore, project: str = "default",
                 audit: AuditSink | None = None) -> None:
        self.store = store
        self.project = project
        self.layer, self.audit_layer = _layer_names(project)
        self.audit: AuditSink = audit or store_audit_sink(store, project)

    # --- reading ------------------------------------------------------------------------------

    @property
    def can_write(self) -> bool:
        """Whether this store's user may create, edit, reply to and delete markups."""
        return True

    def markups(self) -> list[Markup]:
        """Return every markup of the project, by number."""
        try:
            out = self._read()
        except SpatialError:
            raise
        except (OSError, ValueError, RuntimeError, KeyError, TypeError, sqlite3.Error) as exc:
            # A damaged or foreign file: say so plainly, never a traceback or a path.
            raise SpatialError("批注数据无法读取（文件可能已损坏）。",
                               "The markups could not be read (the file may be damaged).") from exc
        return sorted(out, key=lambda m: m.no)

    def _read(self) -> list[Markup]:
        """The stored markups (any order); storage errors propagate to :meth:`markups`."""
        gdf = _read_or_empty(self.store, self.layer, _COLUMNS)
        return [_from_row(row) for row in gdf.to_dict("records")]

    def _transaction(self) -> AbstractContextManager[Any]:
        """What one change runs inside: here a lock per layer and server process."""
        return _layer_lock(self.store, self.layer)

    def get(self, markup_id: str) -> Markup:
        """Return one markup by id, or raise when it is gone."""
        for m in self.markups():
            if m.id == markup_id:
                return m
        raise SpatialError("该批注已不存在（可能已被删除）。",
                           "This markup no longer exists (it may have been deleted).")

    def audit_trail(self) -> list[AuditRecord]:
        """Return the project's audit records, oldest first (default sink only)."""
        gdf = _read_or_empty(self.store, self.audit_layer, _AUDIT_COLUMNS)
        return [AuditRecord(str(r["time_utc"]), str(r["project"]), str(r["actor"]),
                            str(r["action"]), int(r["markup_no"]), str(r["detail"]))
                for r in gdf.to_dict("records")]

    # --- changes ------------------------------------------------------------------------------

    def _create(self, geometry: BaseGeometry, category: str, comment: str, author: str) -> Markup:
        """Check and store a new markup; record it in the audit trail."""
        geom = check_geometry(geometry)
        cat = check_category(category)
        text = clean_text(comment, COMMENT_MAX, "批注内容", "comment")
        who = clean_text(author, AUTHOR_MAX, "作者", "author")
        current = self.markups()
        now = _now()
        # A number is never given twice, even after a delete: the audit trail remembers it.
        used = [x.no for x in current] + [r.markup_no for r in self.audit_trail()]
        m = Markup(uuid.uuid4().hex, max(used, default=0) + 1, geom, cat, text, who, now, now)
        self._write([*current, m])
        self._record(who, "create", m, {"category": cat, "comment": text})
        return m

    def _edit(self, markup_id: str, actor: str, *, category: str | None = None,
             comment: str | None = None) -> Markup:
        """Change a markup's category and/or comment; record the change."""
        who = clean_text(actor, AUTHOR_MAX, "作者", "author")
        old = self.get(markup_id)
        changes: dict[str, Any] = {}
        if category is not None and check_category(category) != old.category:
            changes["category"] = category
        if comment is not None:
            text = clean_text(comment, COMMENT_MAX, "批注内容", "comment")
            if text != old.comment:
                changes["comment"] = text
        if not changes:
            return old
        new = replace(old, updated_utc=_now(), **changes)
        self._write([new if m.id == markup_id else m for m in self.markups()])
        before = {k: getattr(old, k) for k in changes}
        self._record(who, "edit", new, {"before": before, "after": changes})
        return new

    def _reply(self, markup_id: str, author: str, text: str) -> Markup:
        """Append a reply to a markup's thread; record it."""
        who = clean_text(author, AUTHOR_MAX, "作者", "author")
        body = clean_text(text, COMMENT_MAX, "回复内容", "reply")
        old = self.get(markup_id)
        now = _now()
        new = replace(old, updated_utc=now, replies=(*old.replies, Reply(who, now, body)))
        self._write([new if m.id == markup_id else m for m in self.markups()])
        self._record(who, "reply", new, {"reply": body})
        return new

    def _delete(self, markup_id: str, actor: str) -> None:
        """Remove a markup (and its thread); record what was removed."""
        who = clean_text(actor, AUTHOR_MAX, "作者", "author")
        old = self.get(markup_id)
        self._write([m for m in self.markups() if m.id != markup_id])
        self._record(who, "delete", old, {"category": old.category, "comment": old.comment,
                                          "replies": len(old.replies)})

    def create(self, geometry: BaseGeometry, category: str, comment: str, author: str) -> Markup:
        """Check and store a new markup; record it in the audit trail."""
        with self._transaction():
            return self._create(geometry, category, comment, author)

    def edit(self, markup_id: str, actor: str, *, category: str | None = None,
             comment: str | None = None) -> Markup:
        """Change a markup's category and/or comment; record the change."""
        with self._transaction():
            return self._edit(markup_id, actor, category=category, comment=comment)

    def reply(self, markup_id: str, author: str, text: str) -> Markup:
        """Append a reply to a markup's thread; record it."""
        with self._transaction():
            return self._reply(markup_id, author, text)

    def delete(self, markup_id: str, actor: str) -> None:
        """Remove a markup (and its thread); record what was removed."""
        with self._transaction():
            self._delete(markup_id, actor)

    def _write(self, markups: Sequence[Markup]) -> None:
        self.store.write_layer(self.layer, _to_frame(markups))

    def _record(self, actor: str, action: str, m: Markup, detail: Mapping[str, Any]) -> None:
        self.audit(AuditRecord(_now(), self.project, actor, action, m.no,
                               json.dumps(detail, ensure_ascii=False)))


def _to_frame(markups: Sequence[Markup]) -> gpd.GeoDataFrame:
    rows = [{"mid": m.id, "no": m.no, "category": m.category, "comment": m.comment,
             "author": m.author, "created_utc": m.created_utc, "updated_utc": m.updated_utc,
             "replies": json.dumps([r.__dict__ for r in m.replies], ensure_ascii=False)}
            for m in markups]
    frame = pd.DataFrame(rows, columns=_COLUMNS)
    return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries([m.geometry for m in markups],
                                                          crs=WGS84))


def _from_row(row: Mapping[str, Any]) -> Markup:
    replies = tuple(Reply(str(r["author"]), str(r["time_utc"]), str(r["text"]))
                    for r in json.loads(str(row.get("replies") or "[]")))
    return Markup(str(row["mid"]), int(row["no"]), row["geometry"], str(row["category"]),
                  str(row["comment"]), str(row["author"]), str(row["created_utc"]),
                  str(row["updated_utc"]), replies)


# --- panel and exports ---------------------------------------------------------------------------


def filter_markups(markups: Iterable[Markup], *, categories: Iterable[str] | None = None,
                   authors: Iterable[str] | None = None, text: str = "") -> list[Markup]:
    """Return the markups of the given categories and authors whose thread contains ``text``.

    ``None`` (or empty) for categories/authors means all; ``text`` is matched, case-blind,
    against the comment and every reply.
    """
    cats = set(categories or ())
    who = set(authors or ())
    needle = text.strip().casefold()
    out = []
    for m in markups:
        if cats and m.category not in cats:
            continue
        if who and m.author not in who:
            continue
        hay = " ".join([m.comment, *(r.text for r in m.replies)]).casefold()
        if needle and needle not in hay:
            continue
        out.append(m)
    return out


def _kind(geom: BaseGeometry, lang: str) -> str:
    zh, en = {"Point": ("点", "point"), "LineString": ("线", "line"),
              "Polygon": ("面", "area")}.get(geom.geom_type.replace("Multi", ""), ("", ""))
    return en if lang == "en" else zh


def _shown_time(iso: str) -> str:
    return iso.replace("T", " ").replace("+00:00", "")


def markups_table(markups: Sequence[Markup], lang: str = "zh") -> gpd.GeoDataFrame:
    """Return the markups with shown column names and values (Chinese or English), in WGS84.

    The internal id is left out; the number identifies a markup to people.
    """
    en = lang == "en"
    cols = (["No.", "Category", "Shape", "Comment", "Author", "Created (UTC)", "Updated (UTC)",
             "Replies", "Thread"] if en else
            ["编号", "类别", "图形", "批注", "作者", "创建时间（UTC）", "更新时间（UTC）",
             "回复数", "回复"])
    rows = [[m.no, category_name(m.category, lang), _kind(m.geometry, lang), m.comment,
             actor_label(m.author, lang), _shown_time(m.created_utc), _shown_time(m.updated_utc),
             len(m.replies),
             "\n".join(f"{actor_label(r.author, lang)}（{_shown_time(r.time_utc)}）：{r.text}"
                       if not en else
                       f"{actor_label(r.author, lang)} ({_shown_time(r.time_utc)}): {r.text}"
                       for r in m.replies)]
            for m in markups]
    frame = pd.DataFrame(rows, columns=cols)
    return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries([m.geometry for m in markups],
                                                          crs=WGS84))


def markups_geojson_bytes(markups: Sequence[Markup], lang: str = "zh") -> bytes:
    """Return the markups as a GeoJSON FeatureCollection (UTF-8, WGS84)."""
    text: str = markups_table(markups, lang).to_json(ensure_ascii=False, drop_id=True)
    return text.encode("utf-8")


def markups_gpkg_bytes(markups: Sequence[Markup], lang: str = "zh") -> bytes:
    """Return the markups as a GeoPackage with one layer (``批注`` / ``markups``)."""
    return to_gpkg_bytes({"markups" if lang == "en" else "批注": markups_table(markups, lang)})


def _detail_text(record: AuditRecord, lang: str) -> str:
    """One readable line for an audit record's detail (shown names, no field names)."""
    en = lang == "en"
    try:
        d = json.loads(record.detail)
    except ValueError:
        return ""
    lab = {"category": "Category" if en else "类别", "comment": "Comment" if en else "批注",
           "reply": "Reply" if en else "回复", "replies": "Replies" if en else "回复数"}
    sep, colon = ("; ", ": ") if en else ("；", "：")

    def val(key: str, v: Any) -> str:
        return category_name(str(v), lang) if key == "category" else _one_line(str(v), 60)

    if record.action == "edit":
        before, after = d.get("before", {}), d.get("after", {})
        return sep.join(f"{lab.get(k, k)}{colon}{val(k, before.get(k, ''))} → {val(k, v)}"
                        for k, v in after.items())
    return sep.join(f"{lab.get(k, k)}{colon}{val(k, v)}" for k, v in d.items())


def audit_table(records: Sequence[AuditRecord], lang: str = "zh") -> pd.DataFrame:
    """Return the audit trail as a table with shown column names and values, newest first."""
    en = lang == "en"
    # On screen (the 变更记录 expander): Beijing time, as every time the app shows.
    cols = ([local_time_header(lang), "By", "Change", "Markup No.", "Details"] if en else
            [local_time_header(lang), "操作人", "操作", "批注编号", "内容"])
    rows = [[local_time(r.time_utc, lang, seconds=True, zone=False), actor_label(r.actor, lang),
             r.action_name(lang), r.markup_no, _detail_text(r, lang)] for r in reversed(records)]
    return pd.DataFrame(rows, columns=cols)


# --- printing ------------------------------------------------------------------------------------


# Above the plan layers (10 + their order) and the export's names (70+): a markup is the
# point of the figure it is printed on.
_Z = 80


def draw_markups(
    ax: Any,
    markups: Sequence[Markup],
    to_metric: Callable[[BaseGeometry], BaseGeometry],
    lang: str = "zh",
    *,
    comments: bool = True,
    max_lines: int = 8,
    frame_legend: bool = True,
) -> list[str]:
    """Draw markups on a map axes: symbols, numbered callouts and a list of comments.

    Parameters
    ----------
    ax : matplotlib Axes
        The map frame, in the metric CRS of ``to_metric``.
    markups : sequence of Markup
        What to draw (WGS84).
    to_metric : callable
        Projects a WGS84 geometry into the axes' CRS.
    lang : str
        ``"zh"`` or ``"en"``.
    comments : bool
        Also list "number · category · comment" in a box in the upper-left corner.
    max_lines : int
        At most this many comment lines (the rest is summarised in one line).
    frame_legend : bool
        Draw a small legend in the frame's corner (off when the page legend lists them).

    Returns
    -------
    list of str
        The legend row (category names used), e.g. ``["批注：问题", "批注：建议"]``.

    Notes
    -----
    Markup text is untrusted: every text call uses ``parse_math=False`` so a ``$`` never
    starts mathtext.
    """
    used: list[str] = []
    for m in markups:
        colour = CATEGORY_COLOURS.get(m.category, "#555555")
        geom = to_metric(m.geometry)
        for part in getattr(geom, "geoms", [geom]):
            if part.geom_type == "Point":
                ax.plot([part.x], [part.y], marker="o", ms=7, mfc=colour, mec="white", mew=1.2,
                        zorder=_Z + 2)
            elif part.geom_type == "LineString":
                xs, ys = part.xy
                ax.plot(xs, ys, color=colour, lw=2.2, zorder=_Z + 1)
            elif part.geom_type == "Polygon":
                xs, ys = part.exterior.xy
                ax.fill(xs, ys, facecolor=colour, alpha=0.15, zorder=_Z)
                ax.plot(xs, ys, color=colour, lw=1.8, ls="--", zorder=_Z + 1)
        anchor = geom.representative_point()  # the point itself for a point
        ax.annotate(str(m.no), (anchor.x, anchor.y), xytext=(6, 6), textcoords="offset points",
                    fontsize=7, color="white", fontweight="bold", zorder=_Z + 3, parse_math=False,
                    bbox={"boxstyle": "circle,pad=0.25", "fc": colour, "ec": "white", "lw": 0.8})
        name = category_name(m.category, lang)
        if name not in used:
            used.append(name)
    if comments and markups:
        lines = [f"{m.no} · {category_name(m.category, lang)} · {_one_line(m.comment)}"
                 for m in markups[:max_lines]]
        if len(markups) > max_lines:
            rest = len(markups) - max_lines
            lines.append(f"… 另有 {rest} 条批注" if lang != "en" else f"… {rest} more markups")
        # Top left: the export puts its scale bar in the lower-left corner of the frame.
        ax.text(0.01, 0.99, "\n".join(lines), transform=ax.transAxes, ha="left", va="top",
                fontsize=6, zorder=_Z + 4, parse_math=False,
                bbox={"boxstyle": "round,pad=0.4", "fc": "white", "ec": "#888888",
                      "alpha": 0.9, "lw": 0.5})
    if used and frame_legend:  # one symbol per category used, in the map frame's corner
        handles = [Line2D([], [], marker="o", ls="", ms=6, mec="white", label=name,
                          mfc=CATEGORY_COLOURS[next(c for c in CATEGORIES
                                                    if category_name(c, lang) == name)])
                   for name in used]
        legend = ax.legend(handles=handles, loc="lower right", fontsize=6, title_fontsize=6,
                           title="Markups" if lang == "en" else "批注", framealpha=0.9)
        legend.set_zorder(_Z + 5)
    label = "Markup: " if lang == "en" else "批注："
    return [label + name for name in used]


def _one_line(text: str, limit: int = 40) -> str:
    s = " ".join(text.split())
    return s if len(s) <= limit else s[: limit - 1] + "…"


def default_markup_store(project: str = "default") -> MarkupStore:
    """The desk-mode markups: ``markups.gpkg`` beside the user's workspace file."""
    from spatial.workspace import GeoPackageWorkspace, workspace_path

    return MarkupStore(GeoPackageWorkspace(workspace_path().with_name("markups.gpkg")), project)
