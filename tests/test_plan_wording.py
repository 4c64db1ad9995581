"""What the app says about the plan, checked against the plan's words and the shipped data.

The statement table's rows tie a feature only through words the quote carries; the catalogue's
layer descriptions (shown under every feature in the details panel) claim no more than the data
holds and use the confidence words of its features; the targets table misses no dated target of
the kinds it holds.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import layers
from layers.fields import VALUE_LABELS
from layers.schema import LayerSpec
from spatial.crs import GK_EPSG_HEBI, project_to_gk
from spatial.plan_indicators import load_plan_targets
from spatial.plan_statements import Statement, load_statements

ROOT = Path(__file__).resolve().parents[1]
PLAN_PATH = ROOT.parent / "shared" / "plan" / "001_da5027ec7b0eb358.txt"
PLACES_PATH = ROOT.parent / "shared" / "reference" / "PLACES.md"

needs_plan = pytest.mark.skipif(not PLAN_PATH.exists(), reason="plan text not beside the repo")


def _statement(sid: str) -> Statement:
    return next(s for s in load_statements() if s.statement_id == sid)


# --- statements: a feature is tied only by words the quote carries ------------------------------

# Each cited feature and the words of its quote that name it (read from the plan line).
CARRIED: dict[str, dict[str, str]] = {
    # 第一章 l.17 and 专栏8 l.259 name 黎阳东路: the drawn 黎阳东路 pieces, not 黎阳路 west of them.
    "S005": {"liyang-rd-2": "黎阳东路", "liyang-rd-3": "黎阳东路", "taibo-st-2": "泰伯北大街",
             "tianlai-st": "天赉北大街"},
    "S031": {"liyang-rd-2": "黎阳东路", "liyang-rd-3": "黎阳东路", "taibo-st-2": "泰伯北大街",
             "tianlai-st": "天赉北大街", "s304": "S304濮鹤线", "yangzhuang-community": "杨庄社区",
             "jinshan-park": "金山园区"},
    # 第六章 l.185 lists 镁业小镇 and 海尔轻量化产业园; it does not name 金山园区.
    "S016": {"meiye-town": "鹤壁金山镁业小镇", "haier-magnesium-park": "海尔轻量化产业园"},
    # 第十三章 l.257: the functions belong to 镁业小镇 only through “以鹤壁金山镁业小镇建设为契机”.
    "S030": {"meiye-town": "以鹤壁金山镁业小镇建设为契机", "jinshan-rd-centre": "研发孵化",
             "chanye-node": "产业服务"},
    # 专栏11 l.306: the park is 镁业小镇's through the heading “镁业小镇产业布局优化专项”.
    "S081": {"meiye-town": "镁业小镇产业布局优化专项",
             "meiye-deep-processing-park": "镁精深加工产业园"},
}


@pytest.mark.parametrize("sid", sorted(CARRIED))
def test_a_statement_ties_only_the_features_its_words_name(sid: str) -> None:
    s = _statement(sid)
    assert set(s.feature_ids) == set(CARRIED[sid])
    for fid, words in CARRIED[sid].items():
        assert words in s.quote, (sid, fid, words)


def test_the_road_a_plan_sentence_names_is_the_road_it_is_shown_on() -> None:
    # A sentence naming 黎阳东路 (but not 黎阳路) is quoted only on roads called 黎阳东路.
    roads = layers.load_layer("roads").set_index("id")["name"]
    checked = 0
    for s in load_statements():
        if "黎阳东路" in s.quote and "黎阳路" not in s.quote:
            shown = {roads[f] for f in s.feature_ids if f in roads.index and
                     str(roads[f]).startswith("黎阳")}
            assert shown == {"黎阳东路"}, (s.statement_id, shown)
            checked += 1
    assert checked >= 2


def test_sentences_that_place_nothing_tie_nothing() -> None:
    # 第十三章 l.251 “依托保税物流中心、鹤壁保税仓库等海关特殊监管区域及口岸”: the 综合保税区 is not
    # in the sentence. 第十四章 l.268 “推进金山污水处理厂…”: 金山 is part of the plant's name.
    bonded = _statement("S028")
    assert "综合保税区" not in bonded.quote
    assert bonded.feature_ids == () and bonded.kind == "names"
    assert "未说明" in bonded.not_drawn_reason and "不绘制" in bonded.not_drawn_reason
    sewage = _statement("S034")
    assert "金山园区" not in sewage.quote
    assert sewage.feature_ids == () and sewage.kind == "names"
    assert "不绘制" in sewage.not_drawn_reason


def test_s003_says_only_what_the_references_say_about_the_three_parks() -> None:
    reason = _statement("S003").not_drawn_reason
    assert "均在" not in reason  # no reference puts all three in 城北
    assert "仕佳光电子产业园位置无资料" in reason and "延河路" in reason
    if PLACES_PATH.exists():
        shijia = next(ln for ln in PLACES_PATH.read_text(encoding="utf-8").splitlines()
                      if "仕佳光子" in ln and "Shijia" in ln)
        assert "exact spot unknown" in shijia  # only the company's registered address


def test_s041_uses_the_plans_word_and_the_maps_term() -> None:
    s = _statement("S041")
    plan_word = "垃圾中转站"
    assert plan_word in s.quote and plan_word in s.not_drawn_reason
    map_term = VALUE_LABELS["facility_type"]["waste_transfer"][0]
    facilities = layers.load_layer("facilities")
    shown = facilities[facilities["facility_type"] == "waste_transfer"]
    assert len(shown) and shown["name"].str.contains(map_term).all()
    assert map_term in s.not_drawn_reason
    assert "规划未具名" in s.not_drawn_reason


# --- catalogue descriptions against the data ---------------------------------------------------


def test_the_4_ha_belong_to_the_leisure_area_not_to_the_centre() -> None:
    # 第十五章 l.291 “依托全民健身中心,着力打造主城区北部4万平方米绿色生态、健康休闲生活圈”.
    spec = layers.get_spec("green")
    area = layers.load_layer("green").set_index("id").loc["fitness-centre-park", "name"]
    assert f"{area}（4万平方米）" in spec.description_zh
    assert "全民健身中心（4万平方米）" not in spec.description_zh
    assert "40,000 m² leisure area around the National Fitness Centre" in spec.description_en


def test_the_communities_description_says_what_the_blocks_are() -> None:
    spec = layers.get_spec("communities")
    blocks = layers.load_layer("communities")
    ha = project_to_gk(blocks.geometry, epsg=GK_EPSG_HEBI).area / 1e4
    for text, sep in ((spec.description_zh, "公顷"), (spec.description_en, " ha")):
        m = re.search(r"(\d+(?:\.\d+)?)–(\d+(?:\.\d+)?)" + sep, text)
        assert m, text
        lo, hi = float(m.group(1)), float(m.group(2))
        assert lo <= ha.min() < lo + 0.1 and hi - 0.1 < ha.max() <= hi, (lo, hi, ha.min(), ha.max())
    named = blocks[blocks["named_in_plan"].astype(bool)]
    assert f"{len(named)}个（{'、'.join(named['name'])}）" in spec.description_zh
    projects = layers.load_layer("plan_projects")
    unplaced = projects[projects["name"].str.endswith("社区") & ~projects["location_known"]]
    assert f"其余{len(unplaced)}个" in spec.description_zh
    for name in unplaced["name"]:
        assert name.removesuffix("社区") in spec.description_zh, name
    assert f"the other {len(unplaced)}" in spec.description_en
    assert "各占一个街坊" not in spec.description_zh and "2–4" not in spec.description_zh


def test_assumed_positions_are_said_to_be_assumed() -> None:
    # 专栏11 l.308 only lists “主卡口、查验中心”; 第十五章 l.281 only says “延展华夏路…城市主脊”.
    points = layers.get_spec("bonded_points")
    assert (layers.load_layer("bonded_points")["confidence"] == "low").all()
    assert "位置均为推测" in points.description_zh and "主卡口假定在" in points.description_zh
    assert "both positions assumed" in points.description_en
    spines = layers.get_spec("spines")
    assert "北延段假定沿嵩山路" in spines.description_zh
    assert "assumed to follow Songshan Road" in spines.description_en


def test_the_circles_radius_is_said_to_be_a_straight_line() -> None:
    spec = layers.get_spec("life_circles")
    assert "直线半径取GB 50180-2018步行距离" in spec.description_zh
    assert "示意" in spec.description_zh and "schematic" in spec.description_en
    assert "straight-line radius" in spec.description_en
    assert "半径按GB 50180-2018步行距离" not in spec.description_zh


# A description's confidence words must name a level some feature of its layer has.
_LEVEL_WORDS = {
    "schematic": (("示意",), ("schematic",)),
    "low": (("推测", "置信度低"), ("estimated", "low confidence")),
}


@pytest.mark.parametrize("spec", [s for s in layers.all_specs() if s.description_zh],
                         ids=lambda s: s.id)
def test_a_description_uses_its_features_confidence_words(spec: LayerSpec) -> None:
    gdf = layers.load_layer(spec.id)
    if "confidence" not in gdf.columns:
        return
    levels = set(gdf["confidence"])
    for level, (zh_words, en_words) in _LEVEL_WORDS.items():
        said_zh = any(w in spec.description_zh for w in zh_words)
        said_en = any(w in spec.description_en.lower() for w in en_words)
        if said_zh or said_en:
            assert level in levels, (spec.id, level, sorted(levels))
    if spec.id == "axes":  # the seventh axis is schematic like the six
        assert "置信度低" not in spec.description_zh and "七条均为示意" in spec.description_zh
    if spec.id == "water":  # 盖族沟/刘洼河 are low in both languages
        water = gdf.set_index("id")
        assert set(water.loc[["gaizu-ditch", "liuwa-river"], "confidence"]) == {"low"}
        assert "推测" in spec.description_zh and "estimated" in spec.description_en


# --- the plan's dated targets ------------------------------------------------------------------


@needs_plan
def test_every_dated_full_coverage_target_is_in_the_targets_table() -> None:
    # A sentence of the plan that sets “全覆盖” by 2025 is a target (l.283 5G, l.285 五优街道).
    lines = PLAN_PATH.read_text(encoding="utf-8").split("\n")
    targets = load_plan_targets()
    found = 0
    for n, line in enumerate(lines, start=1):
        for sentence in re.split(r"[。;；]", line):
            if "2025年" in sentence and "全覆盖" in sentence:
                clause = next(c for c in sentence.split(",") if "全覆盖" in c)
                hit = [t for t in targets if t.line == n and clause in t.quote]
                assert hit, (n, sentence)
                assert all(t.value_text == "全覆盖" and t.value == 100.0 for t in hit)
                found += 1
    assert found >= 2
    by = {t.key: t for t in targets}
    assert by["network_5g"].quote == "2025年实现5G网络全覆盖"
    assert by["five_excellent_streets"].quote.endswith("“五优街道”实现全覆盖")


def test_a_target_the_plan_says_to_exceed_keeps_its_word() -> None:
    # 第五章 l.168 “分别突破400亿元和100亿元”: both values are 突破 (op >), so both say so.
    for t in load_plan_targets():
        if t.op == ">" and "突破" in t.quote:
            assert t.value_text.startswith("突破"), (t.key, t.value_text)
