"""规划实施监测 page: yearly actuals of Table 1 against their paths, with an early warning.

Wires widgets to :mod:`spatial.monitoring`: the planner downloads a template,
uploads actuals (CSV/xlsx, read by the statistics reader), sees one overview
table of levels, edits the rule of any indicator, looks at each indicator's
chart and years, and downloads the same levels as a PDF report page. Yearly
per-area values (绿地占比, 生活圈覆盖率 per 片区, :mod:`spatial.monitoring_areas`)
join the same overview, charts and report, each with where its target comes from.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import pandas as pd
import streamlit as st

from spatial._errors import SpatialError
from spatial.coverage import list_scenarios, unit_table
from spatial.monitoring import (
    BASE_YEAR,
    KINDS,
    LEVEL_COLOURS,
    YEARS,
    Actuals,
    IndicatorMonitor,
    Rule,
    default_rule,
    indicator_chart,
    kind_name,
    level_name,
    monitor,
    overview_table,
    read_actuals,
    report_pdf,
    rules_from_table,
    rules_table,
    template_csv,
    year_table,
)
from spatial.monitoring_areas import (
    Area,
    AreaSheet,
    add_area_values,
    area_monitors,
    area_template_csv,
    coverage_by_area,
    read_area_actuals,
)
from spatial.plan_indicators import PlanIndicator, load_plan_indicators
from spatial.service_categories import CATEGORIES, LEVELS_MIN
from ui.data import current_store, plan_layer
from ui.i18n import current_lang, t
from ui.pages.coverage_page import run_scenario
from ui.pages.import_page import md_escape
from ui.pages.indicators_page import AREA_LAYERS

_RULES = "mon_rules"  # session key: edited rules by indicator key
_BASE = "mon_rules_base"  # the rules the editor was opened with
_EDITOR = "mon_rule_editor"


@st.cache_data(show_spinner=False)
def _plan() -> list[PlanIndicator]:
    return load_plan_indicators()


@st.cache_data(show_spinner=False, max_entries=8)
def _read(digest: str, filename: str, _data: bytes) -> Actuals:
    del digest
    return read_actuals(_data, filename, _plan())


@st.cache_data(show_spinner=False, max_entries=8)
def _pdf(digest: str, lang: str, _monitors: list[IndicatorMonitor]) -> bytes:
    del digest
    return report_pdf(_monitors, lang)


@st.cache_data(show_spinner=False, max_entries=8)
def _read_areas(digest: str, filename: str, _data: bytes, _areas: list[Area]) -> AreaSheet:
    del digest
    return read_area_actuals(_data, filename, _areas)


def _areas() -> list[Area]:
    """The 片区 of the shipped area layers (园区, 综保区 sub-zones, 生活圈), by name."""
    out: list[Area] = []
    for layer_id in AREA_LAYERS:
        gdf = plan_layer(layer_id)
        en = gdf["name_en"] if "name_en" in gdf.columns else [""] * len(gdf)
        out.extend(Area(str(zh), "" if pd.isna(e) else str(e))
                   for zh, e in zip(gdf["name"], en, strict=True) if isinstance(zh, str) and zh)
    return out


def _area_section(plan: list[PlanIndicator], lang: str) -> list[IndicatorMonitor]:
    """Per-area green share and 生活圈 coverage: upload, target, rules; their monitors."""
    st.subheader(t("分片区指标", "Per-area indicators"))
    st.caption(t(
        "逐片区对照：绿地占比按规划表1“城市绿地率”2025 年 37% 的目标（第十四章重申，全区指标，"
        "逐片区对照）；生活圈覆盖率规划未给目标，由规划人员填写，标为“非规划指标”。"
        "片区名称与地图图层（园区、综保区分区、生活圈）一致；2020 年的值作为本片区基数。",
        "Area by area: the green share against the plan's Table 1 target for the urban "
        "green-space rate, 37 % in 2025 (restated in chapter 14; a zone-wide figure held "
        "against each area); living-circle coverage has no target in the plan: the planner "
        "enters one, marked “not in the plan”. Area names as on the map's layers (parks, "
        "bonded sub-zones, living circles); a 2020 value is the area's base.",
    ))
    areas = _areas()
    st.download_button(t("下载分片区填写模板（CSV）", "Download the per-area template (CSV)"),
                       area_template_csv(areas, lang),
                       file_name=t("分区监测模板.csv", "monitoring_areas_template.csv"),
                       mime="text/csv", key="mon_area_template")
    up = _uploader(t("上传分片区年度值（CSV 或 .xlsx）",
                     "Upload yearly values per area (CSV or .xlsx)"), "mon_area_upload")
    target = st.number_input(
        t("生活圈覆盖率 2025 年目标（%，非规划指标，由规划人员填写）",
          "Living-circle coverage target for 2025 (%; not in the plan, the planner's)"),
        min_value=0.0, max_value=100.0, value=None, step=1.0, key="mon_area_cov_target",
    )
    sheet: AreaSheet | None = None
    if up is not None:
        try:
            sheet = _read_areas(*up, areas)
        except SpatialError as err:
            st.error(md_escape(err.message(lang)))
        else:
            st.success(t(f"已读取 {len(sheet.pairs)} 组片区指标。",
                         f"Read {len(sheet.pairs)} area indicators."))
    computed = _scenario_values(lang)
    if computed is not None:
        sheet = add_area_values(sheet, computed[0], "coverage_pct", areas, computed[1])
    if sheet is None:
        return []
    _problems(sheet.actuals, lang)
    targets = {} if target is None else {"coverage_pct": float(target)}
    monitors, defaults = area_monitors(sheet, plan, targets)
    rules = _rule_editor([m.indicator for m in monitors], defaults, lang, _AREAS,
                         t("分片区预警规则（可按片区修改）", "Per-area warning rules (editable)"))
    return area_monitors(sheet, plan, targets, rules)[0]


def _scenario_values(lang: str) -> tuple[dict[str, dict[int, float]], tuple[str, str]] | None:
    """生活圈 coverage per area from saved 方案, one year each: values by area and year."""
    with st.expander(t("由已保存的生活圈覆盖方案取值（按年份）",
                       "Coverage from saved scenarios (one year each)")):
        try:
            saved = list_scenarios(current_store())
        except SpatialError as err:
            st.error(md_escape(err.message(lang)))
            return None
        if not saved:
            st.caption(t("尚无已保存的方案：可在“生活圈覆盖”页把各年的设施布局存为方案。",
                         "No saved scenario yet: save each year's facilities as a scenario "
                         "on the coverage page."))
            return None
        cats = {c.code: t(c.name, c.name_en) for c in CATEGORIES}
        c1, c2 = st.columns(2)
        cat = c1.selectbox(t("服务类别", "Service category"), list(cats), key="mon_scn_cat",
                           format_func=cats.__getitem__)
        level = c2.selectbox(t("生活圈层级", "Circle level"), list(LEVELS_MIN),
                             key="mon_scn_level", format_func=lambda v: t(f"{v} 分钟", f"{v} min"))
        years = [""] + [str(y) for y in (BASE_YEAR, *YEARS)]
        picked = st.data_editor(
            pd.DataFrame({"name": [s.name for s in saved], "year": [""] * len(saved)}),
            hide_index=True, disabled=["name"], key="mon_scn_years", column_config={
                "name": st.column_config.TextColumn(t("方案", "Scenario")),
                "year": st.column_config.SelectboxColumn(t("代表年份", "Year"), options=years),
            })
        chosen = [(s, int(y)) for s, y in zip(saved, picked["year"], strict=True) if y]
        if len({y for _, y in chosen}) < len(chosen):
            st.error(t("每个年份只能对应一个方案。", "One scenario per year."))
            return None
        if not chosen:
            return None
        values: dict[str, dict[int, float]] = {}
        for scn, year in chosen:
            try:
                with st.spinner(t(f"正在计算方案“{scn.name}”…", f"Running “{scn.name}” …")):
                    model, units = run_scenario(scn)
            except SpatialError as err:
                st.warning(md_escape(err.message(lang)))
                continue
            for name, v in coverage_by_area(unit_table(model, units), cat, level).items():
                values.setdefault(name, {})[year] = v
        what_zh, what_en = f"{cats[cat]} {level} 分钟人口覆盖率", f"{cats[cat]}, {level} min"
        st.caption(t(f"取值：各方案中每个单元的{what_zh}，作为该年的生活圈覆盖率。",
                     f"Values: each unit's share of residents covered ({what_en}) in each "
                     "scenario, as that year's living-circle coverage."))
        return values, (f"方案取值（{what_zh}）", f"From scenarios ({what_en})")


def _uploader(label: str, key: str) -> tuple[str, str, bytes] | None:
    """An uploaded sheet as (digest, file name, bytes): the arguments of the cached readers."""
    up = st.file_uploader(label, type=["csv", "xlsx"], key=key)
    if up is None:
        return None
    data = up.getvalue()
    return hashlib.sha256(data).hexdigest(), up.name, data


def _problems(actuals: Actuals, lang: str) -> None:
    """What the sheet held that was not used."""
    if actuals.problems:
        # Problem texts quote the sheet's cells: untrusted, shown literally.
        st.warning("\n".join(f"- {md_escape(p)}" for p in actuals.problem_texts(lang)))


def _upload() -> Actuals:
    """The uploaded actuals (empty when nothing is uploaded or the file is refused)."""
    up = _uploader(t("上传年度实际值（CSV 或 .xlsx）", "Upload yearly actuals (CSV or .xlsx)"),
                   "mon_upload")
    if up is None:
        st.info(t("尚未上传实际值：下表各年均为“缺失”。可先下载模板填写。",
                  "No actuals uploaded yet: every year below is “missing”. "
                  "Download the template to fill in."))
        return Actuals({})
    try:
        actuals = _read(*up)
    except SpatialError as err:
        st.error(md_escape(err.message(current_lang())))
        return Actuals({})
    lang = current_lang()
    n = sum(len(v) for v in actuals.values.values())
    st.success(t(f"已读取 {len(actuals.values)} 项指标的 {n} 个年度实际值。",
                 f"Read {n} yearly actuals of {len(actuals.values)} indicators."))
    _problems(actuals, lang)
    return actuals


@dataclass(frozen=True)
class _EditorKeys:
    """Session keys of one rule editor: saved edits, its input, the widget, the defaults."""

    rules: str
    base: str
    editor: str
    signature: str


_TABLE1 = _EditorKeys(_RULES, _BASE, _EDITOR, "mon_rules_sig")
_AREAS = _EditorKeys("mon_area_rules", "mon_area_rules_base", "mon_area_rule_editor",
                     "mon_area_rules_sig")


def _rule_editor(indicators: list[PlanIndicator], defaults: dict[str, Rule], lang: str,
                 keys: _EditorKeys = _TABLE1, title: str | None = None) -> dict[str, Rule]:
    """The rules in force: the defaults, edited per indicator in a table."""
    # The editor's input stays fixed while the page is open (the editor keeps the edits on
    # top of it); it is rebuilt from the saved edits when the planner comes back to the page,
    # or when the defaults change (another sheet of areas, another target).
    signature = repr(sorted(defaults.items()))
    if st.session_state.get(keys.signature, signature) != signature:
        st.session_state.pop(keys.editor, None)
    st.session_state[keys.signature] = signature
    if keys.editor not in st.session_state or keys.base not in st.session_state:
        edited: dict[str, Rule] = st.session_state.get(keys.rules, {})
        st.session_state[keys.base] = {k: edited.get(k, r) for k, r in defaults.items()}
    rules: dict[str, Rule] = st.session_state[keys.base]
    title = title or t("预警规则（可按指标修改）", "Warning rules (editable per indicator)")
    with st.expander(title):
        st.caption(t(
            "路径：按年均增长＝2020 年基数按规划年均增长递增；线性＝基数到目标直线；"
            "逐年增速＝每年增速对照规划增速；累计＝当年数累加对照五年累计的均匀进度；"
            "门槛值＝规划未给基数，逐年对照目标。"
            "等级按落后路径值的百分比：不超过容差为正常，超过预警带为预警，其间为关注。",
            "Path: compound = the 2020 base growing at the plan's average rate; linear = "
            "straight from base to target; yearly rate = each year's rate against the plan's; "
            "running total = yearly figures added up against an even share of the five-year "
            "total; threshold = no base in the plan, each year against the target. The level "
            "is the shortfall in % of the path value: up to the tolerance on track, beyond the "
            "band a warning, in between watch.",
        ))
        names = {ind.key: ind.name(lang) for ind in indicators}
        kinds = {k: kind_name(k, lang) for k in KINDS}
        raw = rules_table([IndicatorMonitor(ind, rules[ind.key]) for ind in indicators])
        view = pd.DataFrame({
            "name": raw["key"].map(names),
            "kind": raw["kind"].map(kinds),
            # As text: an empty cell stays blank (a number column would print "None").
            **{c: raw[c].map(lambda v: "" if v is None or pd.isna(v) else f"{v:g}")
               for c in ("base", "target", "growth_pct")},
            "lower_is_better": raw["lower_is_better"],
            "tolerance_pct": raw["tolerance_pct"], "band_pct": raw["band_pct"],
        })
        cfg = st.column_config
        out = st.data_editor(
            view, hide_index=True, width="stretch", key=keys.editor, disabled=["name"],
            column_config={
                "name": cfg.TextColumn(t("指标", "Indicator")),
                "kind": cfg.SelectboxColumn(t("路径", "Path"), options=list(kinds.values()),
                                            required=True),
                "base": cfg.TextColumn(t("2020 年基数", "2020 base")),
                "target": cfg.TextColumn(t("目标 / 增速 / 累计", "Target / rate / total")),
                "growth_pct": cfg.TextColumn(t("年均增长（%）", "Average growth (%)")),
                "lower_is_better": cfg.CheckboxColumn(t("越低越好", "Lower is better")),
                "tolerance_pct": cfg.NumberColumn(t("正常容差（%）", "Tolerance (%)"),
                                                  min_value=0.0),
                "band_pct": cfg.NumberColumn(t("预警带（%）", "Warning band (%)"),
                                             min_value=0.0),
            },
        )
        back = {v: k for k, v in kinds.items()}
        table = out.assign(key=raw["key"], kind=out["kind"].map(back))
        rules = rules_from_table(table, defaults)
        st.session_state[keys.rules] = {k: r for k, r in rules.items() if r != defaults[k]}
        bad = [names[k] for k, r in rules.items() if r.problem() is not None]
        if bad:
            st.caption(t("以下指标缺少路径所需数值，不作预警：",
                         "Not assessed, a number is missing: ")
                       + t("、", ", ").join(md_escape(b) for b in bad))
    return rules


def _detail(monitors: list[IndicatorMonitor], lang: str) -> None:
    """One indicator at a time: its rule, chart and years."""
    assessed = [m for m in monitors if m.rule.kind != "none"]
    if not assessed:
        return
    labels = {m.indicator.key: f"{m.indicator.number or '—'} {m.indicator.name(lang)}"
              for m in assessed}
    key = st.selectbox(t("查看指标", "Indicator"), list(labels), key="mon_indicator",
                       format_func=labels.__getitem__)
    m = next(m for m in assessed if m.indicator.key == key)
    if m.source is not None:
        label = m.source.label(lang)
        st.text(t(f"目标来源（{label}）：", f"Target from ({label}): ") + m.source.text(lang))
    st.text(t("规则：", "Rule: ") + m.rule.describe(lang, m.indicator.unit(lang)))
    left, right = st.columns([3, 2])
    with left:
        st.pyplot(indicator_chart(m, lang), clear_figure=False)
    with right:
        st.dataframe(year_table(m, lang), hide_index=True, width="stretch")


def render() -> None:
    """Draw the monitoring page."""
    lang = current_lang()
    st.title(t("规划实施监测", "Plan implementation monitoring"))
    st.caption(t(
        "将 2021–2025 年实际值与表1各指标从 2020 年基数到 2025 年目标的路径对照，按规则给出"
        "正常 / 关注 / 预警；未填的年份显示为“缺失”，不作插值。",
        "Yearly actuals 2021–2025 against each Table 1 indicator's path from the 2020 base to "
        "the 2025 target, with a level by rule: on track / watch / warning. A year without an "
        "actual shows as “missing”; nothing is interpolated.",
    ))
    plan = _plan()
    st.download_button(t("下载填写模板（CSV）", "Download the template (CSV)"),
                       template_csv(plan, lang),
                       file_name=t("规划实施监测模板.csv", "monitoring_template.csv"),
                       mime="text/csv", key="mon_template")
    actuals = _upload()
    rules = _rule_editor(plan, {ind.key: default_rule(ind) for ind in plan}, lang)
    monitors = monitor(plan, actuals, rules) + _area_section(plan, lang)
    st.subheader(t("监测总览", "Overview"))
    table = overview_table(monitors, lang)
    colours = {level_name(lv, lang): c for lv, c in LEVEL_COLOURS.items()}
    styled = table.style.map(lambda v: f"color: {colours[v]}" if v in colours else "",
                             subset=[*map(str, YEARS), table.columns[-1]])
    st.dataframe(styled, hide_index=True, width="stretch", height=(len(table) + 1) * 35 + 3)
    # The monitors hold every input of the report (actuals, rules, target sources).
    digest = hashlib.sha256(repr(monitors).encode()).hexdigest()
    try:
        pdf = _pdf(digest, lang, monitors)
    except SpatialError as err:
        st.error(t(err.zh, err.en))
    else:
        st.download_button(t("下载监测报告（PDF）", "Download the monitoring report (PDF)"),
                           pdf, file_name=t("规划实施监测报告.pdf", "monitoring_report.pdf"),
                           mime="application/pdf",
                           key="mon_pdf")
    st.subheader(t("分指标", "By indicator"))
    _detail(monitors, lang)
