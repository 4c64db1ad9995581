"""The nine service categories (圈) of the plan's 一刻钟生活圈, and the three GB 50180 levels.

Codes are stable ASCII identifiers used in data (`category` property) and in
rule tables; names are the plan's own wording.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["CATEGORIES", "CATEGORY_CODES", "LEVELS_MIN", "ServiceCategory", "category_by_code"]


@dataclass(frozen=True)
class ServiceCategory:
    """One of the nine service categories.

    Attributes
    ----------
    code : str
        Stable identifier, e.g. ``"education"``.
    name : str
        The plan's Chinese name, e.g. ``"就学便利圈"``.
    name_en : str
        English name.
    colour : str
        Hex colour for maps and legends (colour-blind-safe palette).
    marker : str
        Marker shape on maps and legends (one of :data:`layers.schema.MARKERS`).
    """

    code: str
    name: str
    name_en: str
    colour: str
    marker: str = "circle"


# Okabe–Ito's colour-blind-safe colours, one per category, and a distinct marker shape each
# (layers.schema.MARKERS), so the nine are told apart in grey print and by colour-blind readers.
CATEGORIES: tuple[ServiceCategory, ...] = (
    ServiceCategory("comprehensive", "综合服务圈", "Community services", "#0072B2", "circle"),
    ServiceCategory("education", "就学便利圈", "Schools", "#E69F00", "square"),
    ServiceCategory("elderly", "养老服务圈", "Elderly care", "#009E73", "triangle"),
    ServiceCategory("fitness", "全民健身圈", "Sport and fitness", "#F0E442", "diamond"),
    ServiceCategory("culture", "社区文化圈", "Community culture", "#CC79A7", "star"),
    ServiceCategory("health", "健康医疗圈", "Health care", "#D55E00", "cross"),
    ServiceCategory("commerce", "商业服务圈", "Shops and services", "#56B4E9", "triangle_down"),
    ServiceCategory("green_mobility", "绿色出行圈", "Green mobility", "#000000", "hexagon"),
    ServiceCategory("sanitation", "环境卫生圈", "Sanitation", "#999999", "pentagon"),
)

CATEGORY_CODES: tuple[str, ...] = tuple(c.code for c in CATEGORIES)

# GB 50180-2018 life-circle levels, in walking minutes.
LEVELS_MIN: tuple[int, ...] = (5, 10, 15)


def category_by_code(code: str) -> ServiceCategory:
    """Return the category with this code.

    Raises
    ------
    KeyError
        If no category has this code.
    """
    for cat in CATEGORIES:
        if cat.code == code:
            return cat
    raise KeyError(code)
