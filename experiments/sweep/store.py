"""The results folder of a sweep.

    DIR/sweep.toml            copy of the sweep file as given
    DIR/spec.json             normalised spec, spec digest, code version, provenance (written once)
    DIR/design.parquet        every (point, replicate): run_id, seed, order, sampler coordinates u_*, values
    DIR/parts/runs/ID.parquet one row per finished run (status ok or failed), written atomically
    DIR/parts/cities/ID.parquet city-by-year rows of an ok run, written before its runs part
    DIR/manifest.jsonl        append-only event log (ok / retry / failed / interrupted / sweep start and end)
    DIR/runs.parquet          consolidated runs table (every planned run; status ok, failed or pending)
    DIR/cities.parquet        consolidated city-by-year table of ok runs (join on run_id)

A run counts as done when its runs part exists with status ok; parts are renamed into place, so a
crash leaves either a whole part or none. Provenance sits in each Parquet file's metadata.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import time
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow.parquet as pq

from experiments.io import write_json, write_parquet
from experiments.sweep.spec import SweepSpec
from model.errors import ConfigError


class Store:
    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self.runs_dir = self.root / "parts" / "runs"
        self.cities_dir = self.root / "parts" / "cities"
        self._lock_fh = None

    # ---- creation and loading
    def exists(self) -> bool:
        return (self.root / "spec.json").exists() and (self.root / "design.parquet").exists()

    def create(self, spec: SweepSpec, design: pd.DataFrame, source: Path | None, provenance: dict[str, Any]) -> None:
        self.runs_dir.mkdir(parents=True, exist_ok=True)
        self.cities_dir.mkdir(parents=True, exist_ok=True)
        if source is not None:
            shutil.copyfile(source, self.root / ".sweep.toml.tmp")
            os.replace(self.root / ".sweep.toml.tmp", self.root / "sweep.toml")
        write_parquet(design, self.root / "design.parquet", self.meta(provenance))
        write_json({"spec": spec.to_dict(), "digest": spec.digest(), **provenance}, self.root / "spec.json")

    def info(self) -> dict[str, Any]:
        try:
            return json.loads((self.root / "spec.json").read_text())
        except (OSError, ValueError):
            raise ConfigError("DIR", str(self.root), "a sweep results folder (made by 'python -m experiments sweep')",
                              kind="not a sweep folder") from None

    def spec(self) -> SweepSpec:
        return SweepSpec.from_dict(self.info()["spec"])

    def design(self) -> pd.DataFrame:
        return pd.read_parquet(self.root / "design.parquet")

    @staticmethod
    def meta(provenance: dict[str, Any]) -> dict[str, str]:
        return {f"czt_sim.{k}": v if isinstance(v, str) else json.dumps(v, sort_keys=True, default=str)
                for k, v in provenance.items()}

    # ---- single writer
    def lock(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        fh = open(self.root / ".lock", "a+")
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.seek(0)
            holder = fh.read().strip() or "?"
            fh.close()
            raise ConfigError("folder", str(self.root), f"a folder no other sweep is using (held by pid {holder})",
                              kind="sweep folder busy") from None
        fh.seek(0)
        fh.truncate()
        fh.write(str(os.getpid()))
        fh.flush()
        self._lock_fh = fh

    def clean_temp(self) -> int:
        """Remove temporary files a crash left behind (call only while holding the lock)."""
        n = 0
        for d in (self.root, self.runs_dir, self.cities_dir, self.root / "analysis"):
            for f in d.glob(".*.tmp*") if d.exists() else ():
                f.unlink(missing_ok=True)
                n += 1
        return n

    def unlock(self) -> None:
        if self._lock_fh is not None:
            self._lock_fh.close()
            self._lock_fh = None

    def locked_by_other(self) -> str | None:
        p = self.root / ".lock"
        if not p.exists():
            return None
        with open(p, "a+") as fh:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                fh.seek(0)
                return fh.read().strip() or "?"
            fcntl.flock(fh, fcntl.LOCK_UN)
        return None

    # ---- events and parts
    def log(self, event: str, **fields: Any) -> None:
        line = json.dumps({"t": round(time.time(), 3), "event": event, **fields}, default=str, sort_keys=True)
        fd = os.open(self.root / "manifest.jsonl", os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, (line + "\n").encode())
            os.fsync(fd)
        finally:
            os.close(fd)

    def events(self) -> list[dict[str, Any]]:
        out = []
        try:
            text = (self.root / "manifest.jsonl").read_text()
        except OSError:
            return out
        for line in text.splitlines():
            try:
                out.append(json.loads(line))
            except ValueError:  # a line cut by a crash
                continue
        return out

    def write_run(self, row: dict[str, Any], annual: pd.DataFrame | None, meta: dict[str, str]) -> None:
        rid = row["run_id"]
        if annual is not None:
            a = annual.copy()
            a.insert(0, "run_id", rid)
            write_parquet(a, self.cities_dir / f"{rid}.parquet", meta)
        write_parquet(pd.DataFrame([row]), self.runs_dir / f"{rid}.parquet", meta)

    def finished(self) -> pd.DataFrame:
        """Runs parts as one frame (one row per run id that finished ok or failed for good)."""
        files = sorted(self.runs_dir.glob("*.parquet"))
        if not files:
            return pd.DataFrame(columns=["run_id", "status"])
        return pd.concat([pd.read_parquet(f) for f in files], ignore_index=True)

    def ok_ids(self) -> set[str]:
        f = self.finished()
        return set(f.run_id[f.status == "ok"])

    # ---- consolidated tables
    def consolidate(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        info = self.info()
        prov = {k: info[k] for k in ("digest", "code_version", "git_commit", "versions", "created") if k in info}
        prov["sweep"] = info["spec"]["name"]
        prov["spec"] = info["spec"]
        meta = self.meta(prov)
        design = self.design()
        names = [f["name"] for f in info["spec"]["factors"]]
        if "scenario" not in design:  # planned before designs recorded their scenario
            design = design.assign(scenario=info["spec"]["scenario"])
        planned = design.drop_duplicates("run_id")[["run_id", "scenario", "seed", "rep", "point", "order"] + names]
        planned = planned.rename(columns={"point": "first_point"})
        fin = self.finished()
        fin = fin.drop(columns=[c for c in names + ["scenario", "seed", "rep", "point"] if c in fin.columns])
        runs = planned.merge(fin, on="run_id", how="left")
        runs["status"] = runs["status"].fillna("pending")
        runs = runs.sort_values("order").reset_index(drop=True)
        ok = set(runs.run_id[runs.status == "ok"])
        parts = [pd.read_parquet(f) for f in sorted(self.cities_dir.glob("*.parquet")) if f.stem in ok]
        cities = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=["run_id", "year", "city"])
        if info["spec"].get("scenarios"):  # a scenarios design: say which scenario each row ran
            cities.insert(1, "scenario", cities.run_id.map(runs.set_index("run_id").scenario))
        write_parquet(runs, self.root / "runs.parquet", meta)
        write_parquet(cities, self.root / "cities.parquet", meta)
        return runs, cities


def read_provenance(path: str | Path) -> dict[str, str]:
    md = pq.read_schema(path).metadata or {}
    return {k.decode(): v.decode() for k, v in md.items() if k.startswith(b"czt_sim.")}
