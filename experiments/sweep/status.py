"""``python -m experiments status DIR``: what is done, failed, pending, and how fast it went."""

from __future__ import annotations

from collections import Counter

from experiments.sweep.store import Store
from model.errors import ConfigError


def status(root) -> str:
    store = Store(root)
    if not store.exists():
        raise ConfigError("DIR", str(root), "a sweep results folder (made by 'python -m experiments sweep')",
                          kind="not a sweep folder")
    info = store.info()
    spec = info["spec"]
    design = store.design()
    fin = store.finished()
    ids = set(design.run_id)
    ok = store.ok_ids(fin) & ids  # both parts of the run read
    failed = fin[(fin.status == "failed") & fin.run_id.isin(ids)]
    total = len(ids)
    pending = total - len(ok) - len(failed)
    ev = store.events()
    holder = store.locked_by_other()
    lines = [f"sweep {spec['name']!r} ({spec['design']}, {len(design.drop_duplicates('point'))} points x "
             f"{spec['replications']} replications, scenario {spec['scenario']}, until {spec['until']}) in {root}",
             f"  planned with code {info['code_version']} on {info.get('created', '?')}",
             f"  runs: {total} total, {len(ok)} ok, {len(failed)} failed, {pending} pending"
             + (f"; RUNNING now (pid {holder})" if holder else ""),
             f"  design rows: {len(design)} (points x replications; identical configurations share a run)"]
    lines += _platform_lines(store, fin[fin.run_id.isin(ok)])
    if store.damaged:
        lines.append("  warning: " + store.damaged_note())
    if store.bad_events:
        lines.append(f"  warning: {store.bad_events} line{'s' if store.bad_events > 1 else ''} of manifest.jsonl "
                     "left out (cut by a crash, or not as the sweep wrote it)")
    retries = sum(e.get("event") == "retry" for e in ev)
    if retries:
        lines.append(f"  attempts retried: {retries}")
    sessions = [e for e in ev if e.get("event") in ("end", "interrupted") and "executed" in e]
    for e in sessions[-5:]:
        rpm = e.get("runs_per_minute")
        lines.append(f"  session: {e['event']}, {e['executed']} attempts in {e['wall_seconds']:.1f} s"
                     f"{f', {rpm:.1f} runs/min' if rpm else ''} on {e.get('executor')}")
    if len(failed):
        lines.append("  failures:")
        for err, n in Counter(failed.error).most_common(5):
            lines.append(f"    {n} x {err}")
    if len(ok):
        t = fin[fin.status == "ok"]
        lines.append(f"  run time per ok run: median {t.wall_seconds.median():.2f} s, max {t.wall_seconds.max():.2f} s")
        if "code_version_run" in t:
            src = t.code_version_run.astype(str).str.rpartition("+src.")[2].nunique()
            if src > 1:
                lines.append(f"  warning: ok runs were made with {src} versions of the model sources")
    if pending or len(failed):
        lines.append(f"  next: python -m experiments resume {root}")
    return "\n".join(lines)


def _platform_lines(store: Store, ok_runs) -> list[str]:
    """The sweep's platform and the ok runs per platform id (model/platform.py)."""
    from model.platform import summary

    rec = store.platform()
    counts = store.platform_counts(ok_runs.assign(status="ok")) if len(ok_runs) else {}
    sweep_id = rec.get("id") if rec else None
    head = (f"  platform: {sweep_id} ({summary(rec)})" if rec
            else "  platform: not recorded (planned before platform fingerprints; the next resume records it)")
    lines = [head]
    if counts:
        lines.append("  ok runs by platform: " + ", ".join(
            f"{k}{' (the sweep' + chr(39) + 's)' if k == sweep_id else ''} {v}" for k, v in sorted(counts.items())))
    if store.mixed_platforms_allowed():
        lines.append("  mixed platforms allowed (--allow-mixed-platforms): runs are not all bit-identical, only "
                     "ensemble statistics agree across platforms")
    return lines
