"""ui/values.py: the inspector's values as page text. In Chinese no English word (ids, choices, True/False, None), in
English no Chinese; numbers readable (4 significant digits below 1000, separators above, never an exponent "e")."""

from __future__ import annotations

import math
import random
import re
from dataclasses import fields

import numpy as np
import pytest


from agents.worker import MOVE_KIND_NAMES, WorkerView
from model.calibration import park_table
from model.identity import CITIES, REGIONS, SECTORS, SKILLS
from model.params import BY_NAME, PARAMS
from ui.texts import FIELD_LABELS
from ui.values import NONE_TEXT, display_value, format_number

pytestmark = pytest.mark.app

ASCII_LETTERS = re.compile(r"[A-Za-z]+")
CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")
ALLOWED_LATIN = {"GDP"}  # a Chinese value may keep this abbreviation (a choice: 各市自身GDP)
PARKS = park_table()
LEVELS = sorted(set(PARKS.level))
CHOICE_LEVERS = [p for p in PARAMS if p.kind is str and p.choices]


def english_in(text: str) -> set[str]:
    return set(ASCII_LETTERS.findall(text)) - ALLOWED_LATIN


def check(field, value):
    zh, en = display_value("zh", field, value), display_value("en", field, value)
    assert zh and not english_in(zh), f"zh {field}={value!r}: {zh!r}"
    assert en and not CJK.search(en), f"en {field}={value!r}: {en!r}"
    return zh, en


# ------------------------------------------------------------------------------------------------ each kind of value
@pytest.mark.parametrize("field", ["city", "hq_city", "residence", "job_city", "enclave_sponsor", "hukou", "from", "to"])
def test_cities_and_regions(field):
    for code in CITIES + (REGIONS if field in ("hukou", "from", "to") else ()):
        zh, en = check(field, code)
        assert zh != code and en != code


def test_sectors_alone_and_as_lists():
    for s in SECTORS:
        zh, _ = check("sector", s)
        assert zh != s
    zh, en = check("sector_focus", list(SECTORS))
    assert zh.count("、") == len(SECTORS) - 1 and en.count(", ") >= len(SECTORS) - 1


def test_parks_their_names_and_levels():
    assert {"national", "provincial", "urban"} <= set(LEVELS)
    for lv in LEVELS:
        zh, en = check("level", lv)
        assert zh != lv and en != lv
    for park, row in PARKS.iterrows():
        assert check("park", park) == (row.name_zh, row.name_en)
        assert display_value("zh", "name", row.name_en) == row.name_zh  # describe()'s English name
        assert display_value("en", "name", row.name_en) == row.name_en


def test_regimes_and_every_categorical_lever():
    for c in BY_NAME["government_regime"].choices:
        zh, en = check("regime", c)
        assert zh != c and en != c
    for p in CHOICE_LEVERS:
        for c in p.choices:
            check(p.name, c)
    # the field decides: "provincial" is a park level and a regime
    assert display_value("zh", "level", "provincial") != display_value("zh", "regime", "provincial")


def test_skills_and_move_kinds():
    for s in SKILLS:
        check("skill", s)
    for k in MOVE_KIND_NAMES:
        zh, en = check("kind", k)
        assert zh != k


def test_booleans_none_and_missing():
    for v in (True, np.bool_(True)):
        assert (display_value("zh", "branch", v), display_value("en", "branch", v)) == ("是", "Yes")
    for v in (False, np.bool_(False)):
        assert (display_value("zh", "alive", v), display_value("en", "alive", v)) == ("否", "No")
    for v in (None, float("nan"), np.float64("nan")):
        assert display_value("zh", "enclave_sponsor", v) == display_value("en", "wage_yuan", v) == NONE_TEXT


def test_a_dict_of_wage_offers():
    offers = {"ordinary": 85803.23113394322, "talent": 154525.0028012755}
    zh, en = check("wage_offers_yuan", offers)
    assert zh == "普通劳动者 85,803；人才 154,525"
    assert en == "Ordinary worker 85,803; Talent 154,525"
    zh, _ = check("x", {"changsha": 0.123456789, "machinery": 2, "rest_of_china": None})
    assert zh == "长沙 0.1235；工程机械与装备 2；中国其他地区 —"


def test_a_move_record_as_a_dict():
    move = {"step": 7, "year": 2020, "quarter": 3, "kind": "hukou_transfer", "from": "rest_of_hunan", "to": "xiangtan"}
    zh, _ = check("history", [move])
    assert "2020" in zh and "2,020" not in zh


def test_unknown_strings_pass_through_and_unknown_language_is_an_error():
    assert display_value("zh", "name_zh", "长沙高新区(麓谷)") == "长沙高新区(麓谷)"
    assert display_value("en", "skill", "?") == display_value("zh", "skill", "?") == "?"
    assert display_value("en", "note", "anything else") == "anything else"
    with pytest.raises(KeyError):
        display_value("fr", "city", "changsha")


# ------------------------------------------------------------------------------------------------------- numbers
def significant_digits(text: str) -> int:
    digits = re.sub(r"[^0-9]", "", text.split("×")[0]).lstrip("0")
    return len(digits.rstrip("0")) if "." not in text.split("×")[0] else len(digits)


def parse(text: str) -> float:
    if "×10" in text:
        m, e = text.split("×10")
        exp = e.translate(str.maketrans("⁻⁰¹²³⁴⁵⁶⁷⁸⁹", "-0123456789"))
        return float(m) * 10 ** int(exp)
    return float(text.replace(",", ""))


def test_small_floats_have_at_most_4_significant_digits():
    assert format_number(0.123456789) == "0.1235"
    assert format_number(217.5953359999999) == "217.6"
    assert format_number(0.03216136588564723) == "0.03216"
    assert format_number(24.207152496626183) == "24.21"
    assert format_number(1.0) == "1" and format_number(0.0) == format_number(-0.0) == "0"
    assert format_number(1.23456e-7) == "1.235×10⁻⁷"
    rng = random.Random(3)
    for _ in range(2000):
        x = rng.choice((1, -1)) * 10 ** rng.uniform(-9, 2.999)
        text = format_number(x)
        assert not re.search(r"[A-Za-z]", text), text
        assert significant_digits(text) <= 4, (x, text)
        assert math.isclose(parse(text), x, rel_tol=6e-4), (x, text)


def test_large_numbers_have_thousands_separators_ids_and_dates_do_not():
    assert format_number(98459.24518617877) == "98,459"
    assert format_number(999.99) == "1,000"
    assert format_number(4613.914953045822) == "4,614"
    assert format_number(184500) == "184,500" and display_value("zh", "firms", np.int64(184500)) == "184,500"
    for field in ("year", "wid", "slot", "employer", "step", "quarter"):
        assert display_value("zh", field, 20191) == "20191"
        assert display_value("en", field, np.int64(2019)) == "2019"
    assert format_number(float("inf")) == "∞"
    rng = random.Random(4)
    for _ in range(500):
        x = 10 ** rng.uniform(3, 12)
        text = format_number(x)
        assert re.fullmatch(r"\d{1,3}(,\d{3})*", text) and abs(parse(text) - x) <= 0.5 + 1e-9 * x, (x, text)


# -------------------------------------------------------------------------------------- every value a model shows
@pytest.fixture(scope="module")
def model():
    from model import CZTModel
    from model.scenarios import load

    m = CZTModel(load("baseline"), seed=1, overrides={"scale": 500})
    m.step()
    m.step()
    return m


def inspected(m):
    """(field, value) of everything the inspector shows: the city rows, the governments, parks, firms and workers."""
    cf = m.cities_frame()
    for _, row in cf[cf.step == cf.step.max()].iterrows():
        yield from row.items()
    for g in m.governments:
        yield from g.describe().items()
    for p in m.parks:
        yield from p.describe().items()
    living = m.firms.living
    branches = [s for s in living if m.firms.is_branch[s]]
    for slot in list(living[:: max(1, len(living) // 40)]) + branches[:10]:
        yield from m.firm(int(slot)).describe().items()
    log = m.workers.move_log()
    wids = [int(log[log[:, 2] == k][0, 1]) for k in range(len(MOVE_KIND_NAMES)) if (log[:, 2] == k).any()]
    workers = [m.worker(w) for w in wids] + [m.sample_worker() for _ in range(20)]
    for w in workers:
        for f in fields(WorkerView):
            yield f.name, getattr(w, f.name)
        for move in w.history:
            yield from move.items()


@pytest.mark.sim
def test_every_value_of_a_built_model_renders_in_chinese_without_english(model):
    shown = list(inspected(model))
    assert {"regime", "level", "sector_focus", "wage_offers_yuan", "enclave_sponsor", "hukou", "history", "kind"} <= \
        {f for f, _ in shown}
    bad = [(f, v, display_value("zh", f, v)) for f, v in shown if english_in(display_value("zh", f, v))]
    assert not bad, f"English in the Chinese tables: {bad[:10]}"
    bad = [(f, v) for f, v in shown if f != "name_zh" and CJK.search(display_value("en", f, v))]
    assert not bad, f"Chinese in the English tables: {bad[:10]}"
    floats = [(f, float(v)) for f, v in shown if isinstance(v, (float, np.floating)) and abs(v) < 1000]
    assert floats
    long = [(f, v, s) for f, v in floats for s in [display_value("en", f, v)] if significant_digits(s) > 4]
    assert not long, f"raw floats: {long[:5]}"


@pytest.mark.sim
def test_every_field_shown_has_a_label(model):
    missing = {f for f, _ in inspected(model) if f not in FIELD_LABELS["zh"]} - set(model.cities_frame().columns)
    assert missing <= {"history"}, missing


def test_rates_recorded_as_fractions_show_as_percentages():
    from ui.values import display_value

    assert display_value("zh", "unemployment_rate", 0.05837) == "5.84 %"
    assert display_value("en", "park_occupancy", 1.0) == "100.00 %"
    assert display_value("en", "gdp_q_100m_yuan", 0.05837) == "0.05837"  # other numbers as before
