"""The app's Chinese mode shows Chinese: every scenario's title and description, every lever's unit.

English left on the 中文 page is allowed only for proper nouns and abbreviations (``ALLOWED_LATIN``): authors' names,
the G4 corridor, GDP, a commit id.
"""

from __future__ import annotations

import re

import pytest


from model.errors import ConfigError
from model.params import PARAMS
from model.scenarios import available, load
from ui.units_zh import UNIT_ZH, allowed_text, unit_text

pytestmark = pytest.mark.app

CJK = re.compile(r"[\u4e00-\u9fff]")
LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z0-9]*")
# proper nouns and abbreviations a Chinese text may keep: authors (Dawid, Harting and Neugart 2014), the G4 science and
# technology corridor, GDP, and the version id fixed-rules is bit-identical to
ALLOWED_LATIN = {"Dawid", "Harting", "Neugart", "G4", "GDP", "c4503f0"}
LEVERS = [p for p in PARAMS if p.lever]


def latin_words(text: str) -> set[str]:
    return set(LATIN_WORD.findall(text)) - ALLOWED_LATIN


@pytest.mark.parametrize("name", available())
def test_every_scenario_has_a_chinese_title_and_description(name):
    sc = load(name)
    assert sc.title_zh and CJK.search(sc.title_zh), f"{name}: title_zh {sc.title_zh!r}"
    assert sc.description_zh and CJK.search(sc.description_zh), f"{name}: description_zh {sc.description_zh!r}"
    assert not latin_words(sc.title_zh + sc.description_zh), f"{name}: English in Chinese texts"
    # written for the page: no file paths, commands or parameter names, no space left by a joined line
    assert not re.search(r"[a-z_]+\.(py|csv|toml)|python -m|[\u4e00-\u9fff] [\u4e00-\u9fff]", sc.description_zh)


def test_description_zh_is_loaded_checked_and_exported(tmp_path):
    sc = load("talent")
    assert sc.to_dict()["description_zh"] == sc.description_zh and sc.to_dict()["title_zh"] == sc.title_zh
    path = tmp_path / "mine.toml"
    path.write_text('extends = "talent"\ndescription = "mine"\n', encoding="utf-8")
    assert load(path).description_zh == ""  # like description: a file's own, not its parent's
    path.write_text('extends = "talent"\ndescription_zh = "我的情景"\n', encoding="utf-8")
    assert load(path).description_zh == "我的情景"
    path.write_text('extends = "talent"\ndescription_zh = 3\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="description_zh"):
        load(path)


@pytest.mark.parametrize("p", LEVERS, ids=[p.name for p in LEVERS])
def test_every_lever_unit_has_a_chinese_text(p):
    zh = unit_text("zh", p.unit)  # KeyError: a lever whose unit UNIT_ZH lacks
    assert CJK.search(zh) and not latin_words(zh), f"{p.name}: unit {p.unit!r} -> {zh!r}"
    assert unit_text("en", p.unit) == p.unit
    text = allowed_text(p, "zh")
    assert CJK.search(text) and not latin_words(text), f"{p.name}: allowed {text!r}"


def test_unit_without_a_translation_is_an_error_not_english():
    with pytest.raises(KeyError):
        unit_text("zh", "furlongs per fortnight")
    with pytest.raises(KeyError):
        unit_text("fr", "years")
    assert not set(UNIT_ZH) - {p.unit for p in LEVERS}, "UNIT_ZH entries no lever uses"


def test_allowed_text_in_english_is_the_registry_s():
    for p in LEVERS:
        if p.kind in (int, float):
            assert allowed_text(p, "en") == p.allowed()
