"""Byte hashes of a fixed set of runs, to show that a refactoring changed no behaviour.

    .venv/bin/python scripts/behaviour_hashes.py > before.txt      # on the old commit
    .venv/bin/python scripts/behaviour_hashes.py | diff before.txt -   # on the new one: no output = same bytes

Each line: scenario, seed, scale, last year, then the sha256 (first 16 hex digits) of the city table, the flows
table, the annual table and the governments' decisions, serialised as Parquet-independent bytes (pandas' own row hashes). Identical hashes
are only expected on the same platform fingerprint (numpy version and SIMD code path); see docs/user-guide.md, "Same answer on every machine?".
"""

from __future__ import annotations

import hashlib
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

RUNS = [
    ("baseline", 1, 200, 2025), ("baseline", 2, 1000, 2035), ("integration", 3, 500, 2030),
    ("industrial-coordination", 4, 1000, 2035), ("enclave", 5, 1000, 2030), ("talent", 6, 1000, 2028),
    ("commute", 7, 1000, 2028), ("hukou", 8, 1000, 2028), ("division", 9, 1000, 2028),
    ("strong-capital", 10, 1000, 2028), ("green-heart-open", 11, 1000, 2028), ("pre-rail", 12, 1000, 2028),
    ("barriers-removed", 13, 1000, 2028), ("mobility", 14, 1000, 2028), ("hindcast-2010", 15, 1000, 2019),
    ("provincial-coordination", 16, 1000, 2028), ("fixed-rules", 17, 1000, 2028), ("enclave-provincial", 18, 1000, 2028),
    ("integration-fund", 19, 1000, 2028), ("market-access", 20, 1000, 2028), ("hindcast-2010", 21, 200, 2019),
]


def _digest(df) -> str:
    import pandas as pd

    rows = pd.util.hash_pandas_object(df, index=True).to_numpy().tobytes()
    cols = "|".join(f"{c}:{t}" for c, t in df.dtypes.items()).encode()
    return hashlib.sha256(cols + rows).hexdigest()[:16]


def one(run: tuple) -> str:
    from model import CZTModel

    scenario, seed, scale, until = run
    m = CZTModel(scenario, seed=seed, overrides={"scale": scale})
    m.run_until(until)
    return f"{scenario} {seed} {scale} {until} {_digest(m.cities_frame())} {_digest(m.flows_frame())} " \
           f"{_digest(m.annual_frame())} {_digest(m.decisions_frame())}"


if __name__ == "__main__":
    with ProcessPoolExecutor(2) as ex:
        for line in ex.map(one, RUNS):
            print(line, flush=True)
