"""Column headers of a layer's fields (字段别名), for tables shown to the planner.

Every table that shows feature attributes (the map page's attribute table)
reads its headers through :func:`field_label`, so pointing it at the
catalogue's per-field alias, once declared there, changes every header at
once. Until then the headers come from :data:`FIELD_LABELS`.
"""

from __future__ import annotations

from layers.schema import LayerSpec

__all__ = ["FIELD_LABELS", "field_label"]

# (Chinese, English) header of each property the shipped layers declare.
FIELD_LABELS: dict[str, tuple[str, str]] = {
    "name": ("名称", "Chinese name"),
    "name_en": ("英文名称", "Name"),
    "kind": ("类型", "Type"),
    "confidence": ("可信度", "Confidence"),
    "source": ("来源", "Source"),
    "adcode": ("行政区划代码", "Division code"),
    "links": ("串联", "Links"),
    "road": ("沿线道路", "Along road"),
    "named_in_plan": ("规划命名", "Named in the plan"),
    "axes": ("所在联动轴", "Axes"),
    "role": ("层级", "Role"),
    "parent": ("所属", "Part of"),
    "area_km2_plan": ("规划面积（km²）", "Planned area (km²)"),
    "area_km2": ("面积（km²）", "Area (km²)"),
    "first_roads": ("先期道路", "First roads"),
    "location_known": ("位置已知", "Location known"),
    "area_ha": ("面积（公顷）", "Area (ha)"),
    "width_m": ("宽度（米）", "Width (m)"),
    "method": ("方法", "Method"),
    "population": ("人口（人）", "Population"),
    "population_basis": ("人口依据", "Population basis"),
    "minutes": ("步行时间（分钟）", "Walking time (min)"),
    "radius_m": ("半径（米）", "Radius (m)"),
    "road_class": ("道路等级", "Road class"),
    "bridge": ("桥梁", "Bridge"),
    "tunnel": ("隧道", "Tunnel"),
    "crosses": ("跨越", "Crosses"),
    "category": ("服务类别", "Service category"),
    "level_min": ("生活圈层级（分钟）", "Life-circle level (min)"),
    "facility_type": ("设施类型", "Facility type"),
    "facility_type_zh": ("设施类型", "Facility type (Chinese)"),
    "attribution": ("版权说明", "Attribution"),
    "industry": ("产业", "Industry"),
    "carrier": ("载体", "Carrier"),
}


def field_label(spec: LayerSpec, field: str, lang: str = "zh") -> str | None:
    """Return the header of one field of a layer in ``lang``, or None when it has none.

    The catalogue's own alias of a declared property is used when the
    catalogue declares one (``PropertySpec.label``), else :data:`FIELD_LABELS`.
    A field without a header is not shown: a raw field name never reaches the
    planner.
    """
    prop = next((p for p in spec.all_properties() if p.name == field), None)
    # The per-field alias of the catalogue (PropertySpec.label) once it is declared there.
    alias = getattr(prop, "label", None)
    if callable(alias):
        text = alias(lang)
        if isinstance(text, str) and text and text != field:
            return text
    pair = FIELD_LABELS.get(field)
    if pair is None:
        return None
    return pair[1] if lang == "en" else pair[0]
