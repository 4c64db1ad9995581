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
    """

    code: str
    name: str
    name_en: str
    colour: str


CATEGORIES: tuple[ServiceCategory, ...] = (
    ServiceCategory("comprehensive", "综合服务圈", "Community services", "#4477AA"),
    ServiceCategory("education", "就学便利圈", "Schools", "#EE6677"),
    ServiceCategory("elderly", "养老服务圈", "Elderly care", "#228833"),
    ServiceCategory("fitness", "全民健身圈", "Sport and fitness", "#CCBB44"),
    ServiceCategory("culture", "社区文化圈", "Community culture", "#66CCEE"),
    ServiceCategory("health", "健康医疗圈", "Health care", "#AA3377"),
    ServiceCategory("commerce", "商业服务圈", "Shops and services", "#BBBBBB"),
    ServiceCategory("green_mobility", "绿色出行圈", "Green mobility", "#117733"),
    ServiceCategory("sanitation", "环境卫生圈", "Sanitation", "#882255"),
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
