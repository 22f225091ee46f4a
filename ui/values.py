"""Values shown in the app's tables, rendered for the page in either language.

The inspector shows the fields of a city's row, a city government's, a park's and a firm's ``describe()`` and a sampled
worker (``agents.worker.WorkerView`` and its moves). Their values are model codes and raw numbers: city and region ids
(``changsha``, ``rest_of_hunan``), sector ids, park ids and levels, the governments' regime, a worker's skill and the
kinds of its moves, booleans, ``None``, floats with many decimals, lists of sectors and dicts such as a firm's wage
offers by skill. ``display_value(lang, field, value)`` turns any of them into page text:

- ids and choices by their display names: cities, regions and sectors from ``model.identity`` (through ui.texts'
  ``place_name`` / ``sector_name``), parks by their names in model/data/parks.csv, a categorical lever's value (the
  ``regime`` field is ``government_regime``) by ui.texts' ``choice_label``, park levels, skills and move kinds from
  ``VALUE_LABELS`` below;
- booleans as Yes / No (是 / 否), ``None`` and NaN as "—"; rates and shares recorded as fractions in percent;
- numbers readably: floats below 1000 to 4 significant digits (never scientific "e" notation), larger ones rounded with
  thousands separators; integers with separators except ids, slots, years and quarters;
- lists and tuples joined, dicts as "name value; name value" with translated names and formatted numbers.

A string that names nothing known passes through unchanged (a park's Chinese name, "?" for an unknown worker).
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Any

from model.identity import PLACES, SECTORS
from model.params import BY_NAME
from ui.texts import FIELD_LABELS, choice_label, place_name, sector_name

NONE_TEXT = "—"

# codes that have no display name elsewhere: park levels (parks.csv), skills (model.identity.SKILLS) and the kinds of
# a worker's moves (agents.worker.MOVE_KIND_NAMES)
VALUE_LABELS: dict[str, dict[str, dict[str, str]]] = {
    "en": {
        "level": {"national": "National", "provincial": "Provincial", "enclave": "Enclave park", "urban": "Urban area"},
        "skill": {"ordinary": "Ordinary worker", "talent": "Talent"},
        "kind": {"residence": "Moved home", "in_migration": "Arrived from outside the cluster",
                 "out_migration": "Left the cluster", "birth": "Entered the labour market", "death": "Died",
                 "hukou_transfer": "Hukou transferred"},
        "bool": {True: "Yes", False: "No"},
    },
    "zh": {
        "level": {"national": "国家级", "provincial": "省级", "enclave": "飞地园区", "urban": "城区"},
        "skill": {"ordinary": "普通劳动者", "talent": "人才"},
        "kind": {"residence": "迁居", "in_migration": "从城市群外迁入", "out_migration": "迁出城市群",
                 "birth": "进入劳动力市场", "death": "死亡", "hukou_transfer": "户籍迁入"},
        "bool": {True: "是", False: "否"},
    },
}

# fields whose value is a place (a city, or a region outside the cluster), a sector, a park or a categorical lever
PLACE_FIELDS = frozenset({"city", "hq_city", "enclave_sponsor", "hukou", "residence", "job_city", "from", "to",
                          "host", "sponsor", "origin", "destination"})
SECTOR_FIELDS = frozenset({"sector", "sector_focus"})
PARK_FIELDS = frozenset({"park"})
CHOICE_FIELDS = {"regime": "government_regime"}  # describe() field -> the lever whose choices it takes
# integers shown as they are (no thousands separator): ids, slots and dates
PLAIN_INT_FIELDS = frozenset({"wid", "slot", "employer", "year", "quarter", "step", "start_year", "seed"})
# fractions the model records (0.058) that the page shows as percentages (5.80 %), as statistics publish them
PERCENT_FIELDS = frozenset({"unemployment_rate", "park_occupancy", "occupancy", "incentive_offer_share",
                            "land_release_share"})

_LIST_SEP = {"en": ", ", "zh": "、"}
_ITEM_SEP = {"en": "; ", "zh": "；"}
_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


@lru_cache(maxsize=None)
def _parks() -> tuple[dict[str, dict[str, str]], dict[str, str]]:
    """Park names by id and language, and every English park name's Chinese name (parks.csv)."""
    from model.calibration import park_table  # late import: the data loads on first use

    t = park_table()
    by_id = {"en": dict(zip(t.index, t.name_en)), "zh": dict(zip(t.index, t.name_zh))}
    return by_id, dict(zip(t.name_en, t.name_zh))


def format_number(x: float | int, field: str = "") -> str:
    """A number for the page: integers with thousands separators (ids, slots and dates without); floats of magnitude
    below 1000 to 4 significant digits, tiny ones as m×10⁻ⁿ, larger ones rounded with thousands separators;
    NaN as "—", infinities as ∞."""
    if isinstance(x, int):
        return str(x) if field in PLAIN_INT_FIELDS else f"{x:,}"
    x = float(x)
    if math.isnan(x):
        return NONE_TEXT
    if math.isinf(x):
        return "∞" if x > 0 else "-∞"
    if field in PLAIN_INT_FIELDS and x.is_integer():
        return str(int(x))
    if x == 0:
        return "0"
    if abs(float(f"{x:.4g}")) >= 1000:  # 999.99 rounds to 1,000: shown as the large numbers are
        out = f"{x:,.0f}"
    elif abs(x) >= 1e-4:
        out = f"{x:.4g}"  # fixed-point in this range: "g" switches to exponents only below 1e-4 or from 1e4
    else:
        mantissa, exp = f"{x:.3e}".split("e")
        mantissa = mantissa.rstrip("0").rstrip(".")
        out = f"{mantissa}×10{str(int(exp)).translate(_SUPERSCRIPT)}"
    return "0" if out in ("-0", "-0.0") else out


def _name(lang: str, field: str, code: str) -> str | None:
    """The display name of a code, by the field it sits in, else by what it is; None if it names nothing known."""
    labels = VALUE_LABELS[lang]
    if field in CHOICE_FIELDS or (field in BY_NAME and BY_NAME[field].kind is str):
        param = CHOICE_FIELDS.get(field, field)
        if code in BY_NAME[param].choices:
            return choice_label(lang, param, code)
    if field in labels and code in labels[field]:
        return labels[field][code]
    by_id, zh_of_en = _parks()
    if field in PLACE_FIELDS and code in PLACES:
        return place_name(lang, code)
    if field in SECTOR_FIELDS and code in SECTORS:
        return sector_name(lang, code)
    if field in PARK_FIELDS and code in by_id[lang]:
        return by_id[lang][code]
    # any other field: a city, region, sector or park id is still shown by its name
    if code in PLACES:
        return place_name(lang, code)
    if code in SECTORS:
        return sector_name(lang, code)
    if code in by_id[lang]:
        return by_id[lang][code]
    if lang == "zh" and code in zh_of_en:  # a park's English name (describe()'s "name")
        return zh_of_en[code]
    return None


def _key_name(lang: str, key: Any) -> str:
    """A dict key for the page: a skill, place, sector or park by its name, a data field by its label."""
    if not isinstance(key, str):
        return display_value(lang, "", key)
    for field in ("skill", "kind", "level"):
        if key in VALUE_LABELS[lang][field]:
            return VALUE_LABELS[lang][field][key]
    name = _name(lang, "", key)
    if name is not None:
        return name
    return FIELD_LABELS[lang].get(key, key)


def display_value(lang: str, field: str, value: Any) -> str:
    """``value`` of the data field ``field`` as page text in ``lang`` ("en" or "zh"; KeyError for another)."""
    labels = VALUE_LABELS[lang]
    if value is None:
        return NONE_TEXT
    if hasattr(value, "tolist") and not isinstance(value, (str, bytes)):  # numpy scalars and arrays, pandas values
        value = value.tolist()
    if isinstance(value, bool):
        return labels["bool"][value]
    if isinstance(value, (int, float)):
        if field in PERCENT_FIELDS and isinstance(value, float) and math.isfinite(value):
            return f"{100 * value:.2f} %"
        return format_number(value, field)
    if isinstance(value, str):
        name = _name(lang, field, value)
        return value if name is None else name
    if isinstance(value, dict):
        return _ITEM_SEP[lang].join(f"{_key_name(lang, k)} {display_value(lang, k if isinstance(k, str) else field, v)}"
                                    for k, v in value.items())
    if isinstance(value, (list, tuple, set, frozenset)):
        return _LIST_SEP[lang].join(display_value(lang, field, v) for v in value)
    try:  # pandas NA / NaT and the like
        import pandas as pd

        if pd.isna(value):
            return NONE_TEXT
    except (TypeError, ValueError):
        pass
    return str(value)
