"""The ``report`` subcommand, registered into ``python -m experiments`` by ``register(sub)``."""

from __future__ import annotations

import argparse


def cmd_report(a: argparse.Namespace) -> int:
    from experiments.report.build import build

    res = build(a.dir, a.out, lang=a.lang, family=a.font, resamples=a.resamples)
    print(f"{res['headline']}: {len(res['files'])} files -> {res['out']}")
    print(f"index: {res['out'] / 'report.md'}")
    return 0


def register(sub) -> None:
    r = sub.add_parser("report", help="figures (PDF/PNG) and tables (CSV/LaTeX) of a sweep, posterior-study or "
                       "spillover folder",
                       description="Read a finished or partial sweep folder (its ok runs) and write publication "
                                   "figures, tables and a report.md index with provenance into --out. A posterior-study "
                                   "folder ('python -m experiments posterior', has posterior_study.json) gets per "
                                   "scenario and outcome the median and 90 % interval with the parameter band apart "
                                   "from the seed band, and per lever the contrast with the baseline (median, 90 % "
                                   "interval, P(raises)) for each periphery city's GDP share, GDP and residents; a "
                                   "spillover folder ('python -m experiments spillover [--posterior N]', has "
                                   "spillover.json) gets the verdict table (with P(siphon), P(spillover) and the top "
                                   "drivers over the posterior) and the channel table. Tables in English and, with "
                                   "--lang zh or both, in Chinese (_zh files).")
    r.add_argument("dir", help="sweep results folder (made by 'python -m experiments sweep'), or a posterior-study "
                   "or spillover folder")
    r.add_argument("--out", default=None, help="output folder (default DIR/report)")
    r.add_argument("--lang", default="en", help="figure labels (and, for posterior-study and spillover folders, "
                   "tables): en, zh or both (default en)")
    r.add_argument("--font", default="sans", help="sans or serif (default sans)")
    r.add_argument("--resamples", type=int, default=1000, help="bootstrap resamples of sensitivity intervals "
                   "(sweeps only)")
    r.set_defaults(func=cmd_report)
