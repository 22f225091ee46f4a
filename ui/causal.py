"""The worked study's causal verdict for the app's verdict panel, read from the files docs/study-integration.md ships.

``python -m experiments spillover --posterior`` (model/spillover.py, docs/spillover.md) wrote, per scenario,
docs/spillover/posterior/<scenario>/verdict.csv and spillover.json, and for a few scenarios the channels'
docs/spillover/posterior-channels/<scenario>/channels.csv. This module only reads them: the app runs no simulation
for the causal verdict, so what it shows is the study's answer for the scenario as shipped, not for the run on screen.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from model.identity import PERIPHERY_CITIES

ROOT = Path(__file__).resolve().parent.parent
POSTERIOR = ROOT / "docs" / "spillover" / "posterior"
CHANNELS = ROOT / "docs" / "spillover" / "posterior-channels"
STUDY_DOC = "docs/study-integration.md"
CALLS = ("siphon", "spillover", "neutral", "undetermined")


@dataclass(frozen=True)
class CityCall:
    city: str
    call: str  # one of CALLS
    elasticity: float  # median over draws
    low: float  # 90 % interval over draws
    high: float
    p_siphon: float
    draws: int
    carries_siphon: tuple[str, ...] = ()  # channels with p_siphon 1.0 over all the channels' draws
    carries_spillover: tuple[str, ...] = ()  # channels with p_siphon 0.0


@dataclass(frozen=True)
class Shipped:
    scenario: str
    draws: int
    seeds: int
    scale: int
    shock: float  # the rise in the core's productivity (0.05)
    until: int  # the year whose GDP responds
    cities: dict[str, CityCall]
    channel_draws: int | None  # None: no channels file for this scenario


def command(scenario: str) -> str:
    """The command that measures the causal verdict of ``scenario`` as the study did."""
    return f"python -m experiments spillover --scenario {scenario} --posterior 20 --seeds 2 --scale 200"


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


@lru_cache(maxsize=None)
def shipped(scenario: str) -> Shipped | None:
    """The study's causal verdict for ``scenario``, or None when it ships none (no verdict.csv or spillover.json)."""
    folder = POSTERIOR / scenario
    if not (folder / "verdict.csv").is_file() or not (folder / "spillover.json").is_file():
        return None
    meta = json.loads((folder / "spillover.json").read_text(encoding="utf-8"))
    rows = {r["city"]: r for r in _rows(folder / "verdict.csv")}
    claims: dict[str, dict[str, list[str]]] = {c: {"siphon": [], "spillover": []} for c in PERIPHERY_CITIES}
    channel_draws = None
    ch_file = CHANNELS / scenario / "channels.csv"
    if ch_file.is_file():
        for r in _rows(ch_file):
            channel_draws = int(r["draws"])
            p = float(r["p_siphon"])
            if r["city"] in claims and p in (0.0, 1.0):
                claims[r["city"]]["siphon" if p == 1.0 else "spillover"].append(r["channel"])
    cities = {}
    for c in PERIPHERY_CITIES:
        r = rows[c]
        if r["call"] not in CALLS:
            raise ValueError(f"{folder / 'verdict.csv'}: call {r['call']!r} for {c}, expected one of {CALLS}")
        cities[c] = CityCall(c, r["call"], float(r["elasticity"]), float(r["low"]), float(r["high"]),
                             float(r["p_siphon"]), int(r["draws"]), tuple(claims[c]["siphon"]),
                             tuple(claims[c]["spillover"]))
    return Shipped(scenario, int(meta["posterior"]["draws"]), len(meta["seeds"]), int(meta["scale"]),
                   float(meta["shock"]), int(meta["until"]), cities, channel_draws)
