"""The ``report`` subcommand, registered into ``python -m experiments`` by ``register(sub)``."""

from __future__ import annotations

import argparse


def cmd_report(a: argparse.Namespace) -> int:
    from experiments.report.build import build

    res = build(a.dir, a.out, lang=a.lang, family=a.font, resamples=a.resamples)
    c = res["data"].counts
    print(f"report of {c['ok']}/{c['planned']} ok runs: {len(res['files'])} files -> {res['out']}")
    print(f"index: {res['out'] / 'report.md'}")
    return 0


def register(sub) -> None:
    r = sub.add_parser("report", help="figures (PDF/PNG) and tables (CSV/LaTeX) of a sweep folder",
                       description="Read a finished or partial sweep folder (its ok runs) and write publication "
                                   "figures, tables and a report.md index with provenance into --out.")
    r.add_argument("dir", help="sweep results folder (made by 'python -m experiments sweep')")
    r.add_argument("--out", default=None, help="output folder (default DIR/report)")
    r.add_argument("--lang", default="en", help="figure labels: en, zh or both (default en)")
    r.add_argument("--font", default="sans", help="sans or serif (default sans)")
    r.add_argument("--resamples", type=int, default=1000, help="bootstrap resamples of sensitivity intervals")
    r.set_defaults(func=cmd_report)
