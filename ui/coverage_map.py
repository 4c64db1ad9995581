"""The coverage page's map layers and their legend.

Residential places coloured by walking distance (or by how many of the nine
categories are in reach), the facilities with what-ifs outlined, the walking
network and the planning units' outlines, each as a payload for
:mod:`spatial.webmap`; the legend says what the colours mean.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import streamlit as st

from spatial.coverage import (
    CoverageModel,
    combo_index,
    facility_names,
    place_names,
)
from spatial.export.coverage_layers import place_classes
from spatial.service_categories import CATEGORIES
from spatial.text import escape_markdown, escape_text
from spatial.webmap import LayerPayload, TooltipText, geojson_overlay, layer_payload
from ui.coverage_panels import site_legend_html
from ui.coverage_tables import ALL, cat_label, dist_text
from ui.i18n import current_lang, t

__all__ = [
    "CLASS_COLOURS",
    "COUNT_COLOURS",
    "coverage_legend",
    "facility_payload",
    "place_payload",
    "roads_payload",
    "unit_outline_overlay",
]

# Distance classes of a residential place for one category and level.
CLASS_COLOURS = ("#1a9850", "#fdae61", "#d73027", "#969696")
# 0 … 9 categories in reach (red → green), for the "all nine" view.
COUNT_COLOURS = (
    "#a50026", "#d73027", "#f46d43", "#fdae61", "#fee08b",
    "#d9ef8b", "#a6d96a", "#66bd63", "#1a9850", "#006837",
)


def place_payload(model: CoverageModel, category: str, level: int, gcj02: bool) -> LayerPayload:
    """The residential places coloured by coverage of ``category`` at ``level``."""
    p = model.places
    names = place_names(model, current_lang())  # English names in English, as the plan map
    gdf = gpd.GeoDataFrame({"i": np.arange(len(p))}, geometry=list(p.geometry), crs=p.crs)
    tips: list[TooltipText | None] = []
    if category == ALL:
        counts = place_classes(model, category, level)
        styles = [
            {"color": "#333333", "weight": 1.0, "fillColor": c, "fillOpacity": 0.7}
            for c in COUNT_COLOURS
        ]
        index = [int(c) for c in counts]
        for i in range(len(p)):
            tips.append(TooltipText(
                str(names[i]),
                (
                    (t("人口", "Population"), f"{p.population[i]:,.0f}"),
                    (t(f"{level} 分钟可达类别", f"Categories within {level} min"),
                     f"{int(counts[i])} / 9"),
                ),
            ))
    else:
        # The same classes as the print (spatial.export.coverage_layers).
        cls = place_classes(model, category, level)
        dist = model.combo_dist[:, combo_index(category, level)]
        styles = [
            {"color": "#333333", "weight": 1.0, "fillColor": CLASS_COLOURS[0], "fillOpacity": 0.6},
            {"color": "#d73027", "weight": 3.0, "fillColor": CLASS_COLOURS[1], "fillOpacity": 0.7},
            {"color": "#a50026", "weight": 3.0, "fillColor": CLASS_COLOURS[2], "fillOpacity": 0.7},
            {"color": "#525252", "weight": 2.0, "fillColor": CLASS_COLOURS[3], "fillOpacity": 0.5,
             "dashArray": "4 4"},
        ]
        index = [int(c) for c in cls]
        state = (
            t("覆盖", "covered"), t("缺口", "gap"), t("缺口", "gap"),
            t("未接入路网", "not on the network"),
        )
        for i in range(len(p)):
            tips.append(TooltipText(
                str(names[i]),
                (
                    (t("人口", "Population"), f"{p.population[i]:,.0f}"),
                    (t("步行距离", "Walking distance"), dist_text(dist[i])),
                    (t("状态", "Status"), state[index[i]]),
                ),
            ))
    return layer_payload(
        gdf, styles=styles, style_index=index, tooltips=tips,
        name=t("居住区", "Residential areas"), gcj02=gcj02,
    )


def facility_payload(
    model: CoverageModel, category: str, level: int, gcj02: bool
) -> LayerPayload:
    """The facilities of ``category`` at ``level`` (all when ``ALL``), what-ifs outlined."""
    f = model.facilities
    pts = model.facility_points()
    rows = model.shown_facilities(category, level)
    cats = [c.code for c in CATEGORIES]
    styles = [
        {"color": "#ffffff", "weight": 1.5, "fillColor": c.colour, "fillOpacity": 0.95,
         "radius": 6}
        for c in CATEGORIES
    ] + [
        {"color": "#000000", "weight": 3.0, "fillColor": c.colour, "fillOpacity": 1.0,
         "radius": 9}
        for c in CATEGORIES
    ]
    hypo = f["hypothetical"].to_numpy(dtype=bool)
    cat = f["category"].to_numpy(dtype=object)
    name = facility_names(model, current_lang())  # an unnamed one in words, never its id
    lvl = f["level_min"].to_numpy(dtype=np.int64)
    walk = f["max_walk_m"].to_numpy(dtype=float)
    index = [cats.index(str(cat[i])) + (len(cats) if hypo[i] else 0) for i in rows]
    tips: list[TooltipText | None] = [
        TooltipText(
            str(name[i]),
            (
                (t("类别", "Category"), cat_label(str(cat[i]))),
                (t("层级", "Level"), t(f"{int(lvl[i])} 分钟", f"{int(lvl[i])} min")),
                (t("服务距离", "Walking rule"), f"{float(walk[i]):.0f} m"),
            ),
        )
        for i in rows
    ]
    gdf = gpd.GeoDataFrame(geometry=list(pts[rows]), crs=model.network.crs)
    return layer_payload(
        gdf, styles=styles, style_index=index, tooltips=tips,
        name=t("服务设施", "Facilities"), gcj02=gcj02,
    )


def roads_payload(model: CoverageModel, gcj02: bool) -> LayerPayload:
    """The walking network the distances run on (a facility must be placed near it)."""
    gdf = model.network.segments_gdf()
    styles = [{"color": "#737373", "weight": 2.0, "opacity": 0.8}]
    return layer_payload(gdf, styles=styles, name=t("步行路网", "Walking network"), gcj02=gcj02)


def unit_outline_overlay(frame: gpd.GeoDataFrame, name: str, gcj02: bool) -> Any:
    style = {"color": "#2166ac", "weight": 1.5, "fillOpacity": 0.0, "dashArray": "6 4"}
    tips: list[TooltipText | None] = [
        TooltipText(str(n)) for n in frame.get("name", pd.Series([""] * len(frame)))
    ]
    return geojson_overlay(frame, styles=[style], tooltips=tips, name=name, gcj02=gcj02)


def coverage_legend(category: str, level: int, sites: bool = False) -> None:
    if category == ALL:
        items = [(c, f"{k}") for k, c in enumerate(COUNT_COLOURS)]
        title = t(f"{level} 分钟内可达类别数", f"Categories within {level} min")
    else:
        items = list(zip(CLASS_COLOURS, (
            t("步行可达（符合规则距离）", "Within the walking rule"),
            t("缺口：超出规则距离（2 倍以内）", "Gap: beyond the rule (within 2×)"),
            t("缺口：超过 2 倍规则距离或不可达", "Gap: beyond 2× the rule or unreachable"),
            t("距道路过远，未接入路网", "Too far from any road"),
        ), strict=True))
        title = t("居住区步行距离", "Residential walking distance")
    swatches = "".join(
        f'<span style="display:inline-block;width:12px;height:12px;background:{c};'
        f'border:1px solid #333;margin:0 4px 0 10px;vertical-align:middle"></span>'
        f"{escape_text(label)}"
        for c, label in items
    )
    if sites:
        swatches += "<br>" + site_legend_html()
    st.markdown(f"**{escape_markdown(title)}**<br>{swatches}", unsafe_allow_html=True)
