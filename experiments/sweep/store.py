"""The results folder of a sweep.

    DIR/sweep.toml            copy of the sweep file as given
    DIR/spec.json             normalised spec, spec digest, code version, provenance (written once)
    DIR/design.parquet        every (point, replicate): run_id, seed, order, sampler coordinates u_*, values
    DIR/parts/runs/ID.parquet one row per finished run (status ok or failed), written atomically
    DIR/parts/cities/ID.parquet city-by-year rows of an ok run, written before its runs part
    DIR/manifest.jsonl        append-only event log (ok / retry / failed / interrupted / sweep start and end)
    DIR/runs.parquet          consolidated runs table (every planned run; status ok, failed or pending)
    DIR/cities.parquet        consolidated city-by-year table of ok runs (join on run_id)

A run counts as done when its runs part exists with status ok (and, for an ok run, its cities part reads);
parts are renamed into place, so a crash leaves either a whole part or none. A part damaged afterwards
(truncated, overwritten) is reported by name and its run counts as missing, so ``resume`` runs it again;
nothing is ever deleted. Provenance sits in each Parquet file's metadata; the platform the sweep runs on
(model/platform.py) in spec.json and, per run, in the ``platform_id`` column.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import re
import shutil
import time
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from experiments.io import open_regular, write_json, write_parquet
from experiments.sweep.spec import SweepSpec, digest_of
from model.errors import ConfigError


_EXPECT = "a sweep results folder (made by 'python -m experiments sweep')"
MAX_SPEC_BYTES = 16 * 2**20  # a spec.json is a few kB; the largest design's is well under a MB
_PLATFORM_ID = re.compile(r"[0-9a-f]{12}")
_EVENT_TYPES = {"t": (int, float), "event": str, "executed": int, "ok": int, "failed": int, "wall_seconds": (int, float),
                "runs_per_minute": (int, float, type(None)), "executor": (str, type(None)), "platform": dict,
                "platform_ids": list, "mixed_platforms_allowed": bool, "error": (str, type(None))}


class DamagedFile(ConfigError):
    """A file of the results folder that cannot be read (truncated, overwritten)."""


def _why(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}".splitlines()[0][:200]


class Store:
    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self.runs_dir = self.root / "parts" / "runs"
        self.cities_dir = self.root / "parts" / "cities"
        self._lock_fh = None
        self.damaged: dict[str, str] = {}  # path relative to the folder -> why it cannot be read
        self.bad_events = 0  # manifest lines left out by the last events() (cut by a crash, or edited)
        self._info: dict[str, Any] | None = None  # spec.json, checked once
        self._spec: SweepSpec | None = None

    def _read(self, f: Path) -> pd.DataFrame | None:
        """A part as a frame, or None (recorded in ``damaged``) if it cannot be read."""
        try:
            return pd.read_parquet(f)
        except (pa.ArrowException, OSError, ValueError) as exc:
            self.damaged[str(f.relative_to(self.root))] = _why(exc)
            return None

    def damaged_note(self) -> str:
        """One line naming the damaged part files (empty if none)."""
        if not self.damaged:
            return ""
        names = sorted(self.damaged)
        shown = ", ".join(f"{n} ({self.damaged[n]})" for n in names[:3]) + (f" and {len(names) - 3} more"
                                                                            if len(names) > 3 else "")
        return (f"{len(names)} damaged part file{'s' if len(names) > 1 else ''}, treated as missing (resume runs "
                f"{'their runs' if len(names) > 1 else 'its run'} again): {shown}")

    # ---- creation and loading
    def exists(self) -> bool:
        try:
            return (self.root / "spec.json").exists() and (self.root / "design.parquet").exists()
        except OSError as exc:  # a name longer than the system allows, a folder that cannot be searched
            raise ConfigError("DIR", str(self.root), f"a usable folder path ({exc.strerror or exc})",
                              kind="unusable folder") from None

    def create(self, spec: SweepSpec, design: pd.DataFrame, source: Path | None, provenance: dict[str, Any]) -> None:
        self.runs_dir.mkdir(parents=True, exist_ok=True)
        self.cities_dir.mkdir(parents=True, exist_ok=True)
        if source is not None:
            shutil.copyfile(source, self.root / ".sweep.toml.tmp")
            os.replace(self.root / ".sweep.toml.tmp", self.root / "sweep.toml")
        write_parquet(design, self.root / "design.parquet", self.meta(provenance))
        write_json({"spec": spec.to_dict(), "digest": spec.digest(), **provenance}, self.root / "spec.json")
        self._info = None

    def _damaged_spec(self, why: str) -> DamagedFile:
        return DamagedFile(str(self.root / "spec.json"), why, "the spec.json written when the sweep was created "
                           "(restore it from a copy; without it the folder's runs cannot be matched to their plan)",
                           kind="damaged sweep file")

    def info(self) -> dict[str, Any]:
        """spec.json: the spec, its digest, code version and provenance, checked as strictly as it was written
        (the spec field by field, and its digest against the spec: a hand edit that changes which runs the sweep
        holds is refused, never silently obeyed). Read once per Store."""
        if getattr(self, "_info", None) is not None:
            return self._info
        path = self.root / "spec.json"
        try:
            with os.fdopen(open_regular(path), "rb") as fh:  # a FIFO planted as spec.json would block a plain open
                data = fh.read(MAX_SPEC_BYTES + 1)
        except OSError as exc:
            if os.path.lexists(path) and exc.errno != errno.ENOENT:
                raise self._damaged_spec(exc.strerror or type(exc).__name__) from None
            raise ConfigError("DIR", str(self.root), _EXPECT, kind="not a sweep folder") from None
        if len(data) > MAX_SPEC_BYTES:
            raise self._damaged_spec(f"over {MAX_SPEC_BYTES // 2**20} MB")
        try:
            info = json.loads(data.decode("utf-8"))
        except (ValueError, RecursionError) as exc:  # not UTF-8, not JSON, nested too deeply
            raise self._damaged_spec(_why(exc)) from None
        if not isinstance(info, dict) or not isinstance(info.get("spec"), dict) or "digest" not in info:
            raise self._damaged_spec("not the spec of a sweep")
        for key in ("digest", "code_version"):
            if not isinstance(info.get(key), str):
                raise DamagedFile(f"{path}: {key}", info.get(key), "a string, as the sweep wrote it",
                                  kind="damaged sweep file")
        plat = info.get("platform")
        if plat is not None and not (isinstance(plat, dict) and _PLATFORM_ID.fullmatch(str(plat.get("id", "")))):
            raise DamagedFile(f"{path}: platform", plat, "a platform record with its 12-character id (model/platform"
                              ".py), as the sweep wrote it", kind="damaged sweep file")
        spec = SweepSpec.from_dict(info["spec"], f"{path}: spec")  # one-line ConfigError naming the field
        if info["digest"] not in (digest_of(info["spec"]), spec.digest()):  # as stored, or as read back
            raise DamagedFile(f"{path}: digest", info["digest"], f"the digest of the spec beside it "
                              f"({digest_of(info['spec'])}): the spec was edited after the sweep was planned, and its "
                              "runs were planned from the original; restore spec.json from a copy",
                              kind="edited sweep file")
        self._info, self._spec = info, spec
        return info

    def spec(self) -> SweepSpec:
        self.info()
        return self._spec

    def design(self) -> pd.DataFrame:
        """design.parquet, with the columns the sweep wrote (a file of another sweep or cut short is refused)."""
        path = self.root / "design.parquet"
        try:
            design = pd.read_parquet(path)
        except (pa.ArrowException, OSError, ValueError) as exc:
            raise DamagedFile(str(path), _why(exc), "an intact design.parquet; 'python -m experiments resume "
                              f"{self.root}' rebuilds it from spec.json", kind="damaged sweep file") from None
        spec = self.spec()
        need = {"point", "rep", "run_id", "seed", "order", "overrides"} | {f.name for f in spec.factors}
        missing = sorted(need - set(design.columns))
        why = f"no column {missing[0]}" if missing else "no runs" if design.empty or design.run_id.isna().any() else ""
        if not why and design.duplicated(["point", "rep"]).any():
            row = design[design.duplicated(["point", "rep"])].iloc[0]
            why = f"point {row.point} replicate {row.rep} twice"
        if not why and not design.rep.isin(range(spec.replications)).all():
            why = f"replicate {design.rep[~design.rep.isin(range(spec.replications))].iloc[0]!r}"
        for f in [] if why else spec.factors:  # each factor's values as the sweep planned them: levels or range
            bad = [v.item() if hasattr(v, "item") else v for v in design[f.name].unique() if not f.admits(v)]
            if bad:
                why = f"{f.name} = {bad[0]!r} (spec.json: {f.describe()})"
                break
        if why:
            raise DamagedFile(str(path), why, "the design.parquet of this sweep (spec.json's factors); 'python -m "
                              f"experiments resume {self.root}' rebuilds it from spec.json", kind="damaged sweep file")
        return design

    def cities(self, design: pd.DataFrame | None = None) -> pd.DataFrame:
        """The consolidated cities.parquet, read back as strictly as consolidate() wrote it: it reads whole, has
        run_id, year and city, one row per run, year and city, no run outside design.parquet and every run whose
        runs part says ok (a cities.parquet cut, merged by hand or of another sweep names itself)."""
        path, fix = self.root / "cities.parquet", self._cities_fix()
        try:
            with os.fdopen(open_regular(path), "rb") as fh:
                cities = pd.read_parquet(fh)
        except (pa.ArrowException, OSError, ValueError) as exc:
            raise DamagedFile(str(path), f"{type(exc).__name__}: not a whole Parquet file", fix,
                              kind="damaged sweep file") from None
        design = self.design() if design is None else design
        need = {"run_id", "year", "city"}
        why = f"no column {min(need - set(cities.columns))}" if not need <= set(cities.columns) else ""
        if not why and cities.duplicated(["run_id", "year", "city"]).any():
            r = cities[cities.duplicated(["run_id", "year", "city"])].iloc[0]
            why = f"run {r.run_id} {r.city} {r.year} twice"
        stray = set() if why else set(cities.run_id) - set(design.run_id)
        if stray:
            why, fix = f"run {min(stray)}", f"runs of this sweep's design.parquet only; {fix}"
        fin = self.finished() if not why else None
        lost = set() if why else set(fin.run_id[fin.status == "ok"]) - set(cities.run_id)
        if lost:
            why = f"no rows for run {min(lost)} ({len(lost)} of the runs finished ok)"
        if why:
            raise DamagedFile(str(path), why, fix, kind="damaged sweep file")
        return cities

    def _cities_fix(self) -> str:
        return f"an intact cities.parquet; 'python -m experiments resume {self.root}' rebuilds it from the runs' parts"

    def check_cities(self) -> None:
        """A quick look at the consolidated cities.parquet before a long job reads it whole: its Parquet footer reads
        (a file that is empty, cut short or not Parquet names itself here, as :meth:`cities` would name it)."""
        path = self.root / "cities.parquet"
        try:
            with os.fdopen(open_regular(path), "rb") as fh:
                pq.ParquetFile(fh)
        except (pa.ArrowException, OSError, ValueError) as exc:
            raise DamagedFile(str(path), f"{type(exc).__name__}: not a whole Parquet file", self._cities_fix(),
                              kind="damaged sweep file") from None

    # ---- the platform the sweep runs on (model/platform.py)
    def platform(self) -> dict[str, Any] | None:
        """The sweep's platform record: in spec.json, or (folders planned before fingerprints) the first
        ``platform`` event of the manifest."""
        rec = self.info().get("platform")
        if isinstance(rec, dict) and rec.get("id"):
            return rec
        for e in self.events():
            if e.get("event") == "platform" and isinstance(e.get("platform"), dict):
                return e["platform"]
        return None

    def platform_id(self) -> str | None:
        rec = self.platform()
        return rec.get("id") if rec else None

    def mixed_platforms_allowed(self) -> bool:
        return any(e.get("event") == "platforms" and e.get("mixed_platforms_allowed") for e in self.events())

    @staticmethod
    def meta(provenance: dict[str, Any]) -> dict[str, str]:
        return {f"czt_sim.{k}": v if isinstance(v, str) else json.dumps(v, sort_keys=True, default=str)
                for k, v in provenance.items()}

    # ---- single writer
    def lock(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        try:  # never through a link (it would truncate the file linked to), never a FIFO or device
            fh = os.fdopen(open_regular(self.root / ".lock", os.O_RDWR | os.O_CREAT), "r+")
        except OSError as exc:  # a folder named .lock, a link, a FIFO, a name the system refuses
            raise ConfigError(str(self.root / ".lock"), exc.strerror or type(exc).__name__, "a lock file the sweep "
                              "can open (remove what is there: the sweep makes its own)",
                              kind="unusable lock file") from None
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
        try:  # read-only: status works on a folder it may not write; a FIFO planted as .lock would block open()
            fh = os.fdopen(open_regular(p), "r")
        except OSError:
            return None
        with fh:
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
        fd = open_regular(self.root / "manifest.jsonl", os.O_WRONLY | os.O_APPEND | os.O_CREAT)  # never via a link
        try:
            os.write(fd, (line + "\n").encode())
            os.fsync(fd)
        finally:
            os.close(fd)

    def events(self) -> list[dict[str, Any]]:
        """The manifest's events, each checked as it was written (a JSON object with its time and kind, and the
        fields the readers use of their types); a line that is not (cut by a crash, edited) is left out and
        counted in ``bad_events``."""
        out = []
        self.bad_events = 0
        try:  # a FIFO or a link to /dev/zero planted as the manifest would never end
            with os.fdopen(open_regular(self.root / "manifest.jsonl"), "rb") as fh:
                text = fh.read().decode("utf-8", errors="replace")
        except OSError:
            return out
        for line in text.splitlines():
            try:
                e = json.loads(line)
            except (ValueError, RecursionError):  # a line cut by a crash
                e = None
            if _good_event(e):
                out.append(e)
            elif line.strip():
                self.bad_events += 1
        return out

    def write_run(self, row: dict[str, Any], annual: pd.DataFrame | None, meta: dict[str, str]) -> None:
        rid = row["run_id"]
        if annual is not None:
            a = annual.copy()
            a.insert(0, "run_id", rid)
            write_parquet(a, self.cities_dir / f"{rid}.parquet", meta)
        write_parquet(pd.DataFrame([row]), self.runs_dir / f"{rid}.parquet", meta)

    def finished(self) -> pd.DataFrame:
        """Runs parts as one frame (one row per run id that finished ok or failed for good); a damaged part
        is left out (its run counts as missing) and named in ``damaged``."""
        parts = []
        for f in sorted(self.runs_dir.glob("*.parquet")):
            df = self._read(f)
            if df is None:
                continue
            if (not {"run_id", "status"} <= set(df.columns) or len(df) != 1 or df.run_id.iloc[0] != f.stem
                    or df.status.iloc[0] not in ("ok", "failed")):
                self.damaged[str(f.relative_to(self.root))] = "not the runs part of this run"
                continue
            parts.append(df)
        if not parts:
            return pd.DataFrame(columns=["run_id", "status"])
        return pd.concat(parts, ignore_index=True)

    def _cities_parts(self, ok: set[str]) -> dict[str, pd.DataFrame]:
        """Cities parts of the runs in ``ok`` that read (damaged or missing ones are left out)."""
        out = {}
        for rid in sorted(ok):
            f = self.cities_dir / f"{rid}.parquet"
            if not f.exists():
                self.damaged[str(f.relative_to(self.root))] = "missing (its runs part says ok)"
                continue
            df = self._read(f)
            if df is not None:
                out[rid] = df
        return out

    def ok_ids(self, finished: pd.DataFrame | None = None) -> set[str]:
        """Runs finished ok whose parts (runs and cities) both read (``finished``: the frame, if already read)."""
        f = self.finished() if finished is None else finished
        ok = set(f.run_id[f.status == "ok"])
        return set(self._cities_parts(ok))

    # ---- consolidated tables
    def consolidate(self, write: bool | str = True) -> tuple[pd.DataFrame, pd.DataFrame]:
        """The runs table (every planned run) and the cities table (ok runs), from the parts; written as
        runs.parquet and cities.parquet (``write=False``: only returned; ``"if-possible"``: unless the folder
        cannot be written)."""
        info = self.info()
        prov = {k: info[k] for k in ("digest", "code_version", "git_commit", "versions", "created", "platform")
                if k in info}
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
        by_id = self._cities_parts(ok)
        lost = ok - set(by_id)  # its cities part is damaged: the run is missing until resume runs it again
        if lost:
            runs.loc[runs.run_id.isin(lost), "status"] = "pending"
        parts = [by_id[r] for r in sorted(by_id)]
        cities = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=["run_id", "year", "city"])
        if info["spec"].get("scenarios"):  # a scenarios design: say which scenario each row ran
            cities.insert(1, "scenario", cities.run_id.map(runs.set_index("run_id").scenario))
        if write:
            try:
                write_parquet(runs, self.root / "runs.parquet", meta)
                write_parquet(cities, self.root / "cities.parquet", meta)
            except OSError:
                if write != "if-possible":  # readers (analyze, report) also work on a read-only folder
                    raise
        return runs, cities

    def platform_counts(self, runs: pd.DataFrame | None = None) -> dict[str, int]:
        """Ok runs per platform id ('unrecorded' for runs made before platforms were recorded)."""
        if runs is None:
            runs = self.finished()
        ok = runs[runs.status == "ok"]
        ids = ok.platform_id.fillna("") if "platform_id" in ok else pd.Series([""] * len(ok), dtype=object)
        return dict(ids.replace("", "unrecorded").value_counts().sort_index().items())


def _good_event(e: Any) -> bool:
    if not isinstance(e, dict) or "event" not in e or "t" not in e:
        return False
    for k, types in _EVENT_TYPES.items():
        if k in e and (not isinstance(e[k], types) or (isinstance(e[k], bool) and bool not in
                                                        (types if isinstance(types, tuple) else (types,)))):
            return False
    plat = e.get("platform")
    return plat is None or bool(_PLATFORM_ID.fullmatch(str(plat.get("id", ""))))


def mixed_platform_warning(counts: dict[str, int], sweep_id: str | None) -> str:
    """One warning line when ok runs come from more than one platform (empty otherwise)."""
    known = {k: v for k, v in counts.items() if k != "unrecorded"}
    if len(known) <= 1:
        return ""
    parts = ", ".join(f"{k}{' (the sweep' + chr(39) + 's)' if k == sweep_id else ''}: {v} run{'s' if v != 1 else ''}"
                      for k, v in sorted(known.items()))
    return (f"warning: pooling ok runs from {len(known)} platforms ({parts}); across platforms only ensemble "
            "statistics agree, single runs are not bit-identical")


def read_provenance(path: str | Path) -> dict[str, str]:
    md = pq.read_schema(path).metadata or {}
    return {k.decode(): v.decode() for k, v in md.items() if k.startswith(b"czt_sim.")}
