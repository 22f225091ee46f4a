"""Hostile input, table-driven: every case must end in exactly one stderr line starting with ``error:`` that
names the field and the value, exit status 2, no traceback, and nothing finished lost.

Families: parameter values (--set and files: inf, 1e400, huge integers, scale given twice), on/off and
categorical parameters (a range or a single value where a sweep wants levels, an unknown choice, a number for a
choice, a prior on one, in --set, scenario, sweep and calibration files), unusable output
folders (read-only, /proc, below a file, empty, too long) for every command that writes, scenario files and
sweep files (not UTF-8, nested thousands deep, wrong types, duplicates, designs of billions of points, NaN
timeouts, unknown outputs), command-line flags of every subcommand (argparse types, ranges), damaged sweep
folders, a resume on another platform fingerprint; files read back (spec.json edited by hand, calibration folders
of another calibration or with cut tables, a spec.json that never ends or is over 16 MB, a design.parquet or
cities.parquet that reads whole but is not as written: a factor value outside its levels or range, rows twice, an
ok run missing, too few ok points), folder edge cases (.lock as a folder, names longer than the system allows,
paths that are not UTF-8, a link loop, a run into a sweep's folder), files planted in a sweep folder (.lock or the
manifest linked to a file elsewhere, which resume truncated or appended to; .lock or spec.json as a FIFO, which
made status wait forever), and what was silently accepted (samples as a word, a timeline entry before the start).
No case runs a simulation: validation comes first (in process, building a CZTModel fails the case); a case that
waits over 60 s fails.

Beside the table: hostile app links (``LINKS``, ui/urlstate.py, keys repeated inside a pin's JSON and saved runs'
names among them), an unforeseen failure in the app (the banner), a full disk in ``run`` and ``report`` (earlier
results kept, nothing left behind), a government_regime or scenario of the wrong type in the Python API, status on
a folder whose .lock or manifest is a FIFO, and a file saved with a byte-order mark.

Cases run in-process through ``experiments.cli.main`` (stderr captured, SystemExit caught); a handful
(``SUB``) also through real interpreters, two at a time. Every case checks that the finished run folder and
the finished, planned and damaged sweep folders (built once, tiny) are unchanged, and that the case's fresh
output path ``{new}`` was not left behind.

``classify`` and ``build_fixtures`` are also used to measure the same table against another checkout
(``python tests/test_bad_input_table.py ROOT`` prints outcome counts by family).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from conftest import make_read_only, make_writable

pytestmark = pytest.mark.sim

HERE = Path(__file__).resolve()
ROOT = HERE.parents[1]

DEEP = 5000  # arrays nested this deep: tomllib recurses once per level
OK_SWEEP = """name = "bad-input"
scenario = "baseline"
design = "factorial"
replications = 1
until = 2020
scale = 50000
root_seed = 3
outputs = ["gdp_100m_yuan", "gdp_share"]
{extra}
[params]
{params}
"""


def sweep_text(extra: str = "", params: str = "enclave_tax_share = [0.0]", tail: str = "") -> str:
    return OK_SWEEP.format(extra=extra, params=params) + tail


def _dotted(head: str, n: int = 2000) -> str:
    return "[" + head + ".".join(["a"] * n) + "]\n"


TEN_PARAMS = "\n".join(f"{p} = [{', '.join(str(round(0.1 * i, 1)) for i in range(10))}]" for p in (
    "enclave_tax_share", "enclave_stat_share", "enclave_payment_prob", "talent_recognition", "hukou_portability",
    "hukou_transfer_rate", "division_guidance", "strong_capital_tilt", "green_heart_ban", "subsidy_competition"))

FILES: dict[str, str | bytes] = {
    # scenario files
    "s-nonutf8.toml": b'name = "x"\ntitle = "\xff\xfe"\n',
    "s-deep-arrays.toml": 'name = "d"\n[params]\nenclave_tax_share = ' + "[" * DEEP + "]" * DEEP + "\n",
    "s-deep-header.toml": _dotted(""),
    "s-deep-inline.toml": 'name = "d"\nx = ' + "{a = " * 3000 + "1" + "}" * 3000 + "\n",
    "s-title-deep.toml": 'name = "t"\n' + _dotted("title."),
    "s-note-deep.toml": 'name = "n"\n[[timeline]]\nyear = 2020\nparams = {}\n' + _dotted("timeline.note."),
    "s-key-newline.toml": '"bad\\nkey" = 1\n',
    "s-too-big.toml": 'name = "big"\n' + ("# padding padding padding padding padding padding padding padding\n" * 70000),
    "s-extends-int.toml": 'name = "e"\nextends = 3\n',
    "s-extends-list.toml": 'name = "e"\nextends = ["baseline"]\n',
    "s-extends-table.toml": 'name = "e"\n[extends]\na = 1\n',
    "s-extends-nul.toml": 'name = "e"\nextends = "a\\u0000b.toml"\n',
    "s-enclave-int.toml": 'name = "e"\nenclave = 3\n',
    "s-enclave-string.toml": 'name = "e"\nenclave = "yushao_park"\n',
    "s-enclave-table.toml": 'name = "e"\n[enclave]\npark = "yushao_park"\nsponsor = "changsha"\n',
    "s-park-list.toml": 'name = "e"\n[[enclave]]\npark = ["yushao_park"]\nsponsor = "changsha"\n',
    "s-park-table.toml": 'name = "e"\n[[enclave]]\nsponsor = "changsha"\n[enclave.park]\na = 1\n',
    "s-sponsor-list.toml": 'name = "e"\n[[enclave]]\npark = "yushao_park"\nsponsor = ["changsha"]\n',
    "s-dup-park.toml": ('name = "dup"\nextends = "baseline"\n[[enclave]]\npark = "jiuhua_yuhua_park"\nsponsor = "changsha"\n'
                        '[[enclave]]\npark = "jiuhua_yuhua_park"\nsponsor = "zhuzhou"\n'),
    "s-enclave-typo.toml": 'name = "e"\n[[enclave]]\npark = "yushao_park"\nsponsor = "changsha"\nhots = "xiangtan"\n',
    "s-name-int.toml": "name = 3\n",
    "s-inf-param.toml": 'name = "i"\n[params]\nenclave_duration_years = inf\n',
    "s-huge-int.toml": 'name = "h"\n[params]\nenclave_duration_years = 1' + "0" * 40 + "\n",
    "s-choice-unknown.toml": 'name = "c"\n[params]\nmarket_access_list = "open"\n',
    "s-choice-number.toml": 'name = "c"\n[params]\nmarket_access_list = 2\n',
    "s-onoff-string.toml": 'name = "b"\n[params]\nlicence_recognition = "sometimes"\n',
    "s-onoff-number.toml": 'name = "b"\n[params]\nlicence_recognition = 1\n',
    "s-timeline-choice.toml": 'name = "t"\n[[timeline]]\nyear = 2021\nparams = {market_access_list = "one"}\n',
    # sweep files
    "w-ok.toml": sweep_text(),
    "w-nonutf8.toml": sweep_text().encode() + b'description = "\xc3\x28"\n',
    "w-deep-arrays.toml": sweep_text(params="enclave_tax_share = " + "[" * DEEP + "]" * DEEP),
    "w-deep-header.toml": sweep_text(tail=_dotted("params.")),
    "w-desc-deep.toml": sweep_text(tail=_dotted("description.")),
    "w-billions.toml": sweep_text(params=TEN_PARAMS),
    "w-levels-huge.toml": sweep_text(params="talent_recognition = {min = 0.0, max = 1.0, levels = 1000000000}"),
    "w-sobol-huge.toml": sweep_text(params="talent_recognition = {min = 0.0, max = 1.0}").replace(
        'design = "factorial"', 'design = "sobol"\nsamples = 524288').replace("replications = 1", "replications = 1000"),
    "w-nan-timeout.toml": sweep_text(extra="timeout_seconds = nan"),
    "w-inf-timeout.toml": sweep_text(extra="timeout_seconds = inf"),
    "w-unknown-output.toml": sweep_text().replace('outputs = ["gdp_100m_yuan", "gdp_share"]', 'outputs = ["gdp"]'),
    "w-dup-output.toml": sweep_text().replace('"gdp_100m_yuan", "gdp_share"', '"gdp_share", "gdp_share"'),
    "w-dup-level.toml": sweep_text(params="enclave_tax_share = [0.5, 0.5]"),
    "w-level-inf.toml": sweep_text(params="enclave_duration_years = [1, inf]"),
    "w-fixed-1e400.toml": sweep_text(tail="[fixed]\nenclave_duration_years = 1e400\n"),
    # sweep files: on/off (kind=bool) and categorical (kind=str) levers take a list of levels, never a range
    "w-onoff-range.toml": sweep_text(params="licence_recognition = {min = 0, max = 1}"),
    "w-onoff-range-levels.toml": sweep_text(params="licence_recognition = {min = 0, max = 1, levels = 2}"),
    "w-choice-range.toml": sweep_text(params='market_access_list = {min = "separate", max = "unified"}'),
    "w-choice-range-numbers.toml": sweep_text(params="market_access_list = {min = 0, max = 2}"),
    "w-onoff-scalar.toml": sweep_text(params="licence_recognition = true"),
    "w-choice-scalar.toml": sweep_text(params='market_access_list = "unified"'),
    "w-choice-unknown-level.toml": sweep_text(params='market_access_list = ["separate", "shared"]'),
    "w-choice-number-level.toml": sweep_text(params="market_access_list = [0, 1]"),
    "w-choice-dup-level.toml": sweep_text(params='market_access_list = ["unified", "unified"]'),
    "w-onoff-number-level.toml": sweep_text(params="licence_recognition = [true, 2]"),
    "w-onoff-dup-level.toml": sweep_text(params='licence_recognition = [true, "yes"]'),
    "w-onoff-empty.toml": sweep_text(params="licence_recognition = []"),
    "w-number-onoff-levels.toml": sweep_text(params="enclave_tax_share = [true, false]"),
    "w-fixed-choice-unknown.toml": sweep_text(tail='[fixed]\nmarket_access_list = "shared"\n'),
    "w-fixed-onoff-number.toml": sweep_text(tail="[fixed]\nlicence_recognition = 3\n"),
    "w-lhs-onoff-range.toml": sweep_text(extra="samples = 8", params="licence_recognition = {min = 0, max = 1}")
    .replace('design = "factorial"', 'design = "lhs"'),
    "w-sobol-choice-range.toml": sweep_text(extra="samples = 8", params="market_access_list = {min = 0, max = 1}")
    .replace('design = "factorial"', 'design = "sobol"'),
    "w-morris-choice-scalar.toml": sweep_text(extra="samples = 2", params='market_access_list = "aligned"')
    .replace('design = "factorial"', 'design = "morris"'),
    "w-scenario-nonutf8.toml": sweep_text().replace('scenario = "baseline"', 'scenario = "{files}/s-nonutf8.toml"'),
    "w-samples-word.toml": sweep_text(extra='samples = "many"'),
    "w-samples-fraction.toml": sweep_text(extra="samples = 2.5"),
    "w-scenario-folder.toml": sweep_text().replace('scenario = "baseline"', 'scenario = "{files}"'),
    "s-timeline-early.toml": ('name = "early"\nextends = "baseline"\n[[timeline]]\nyear = 2015\nquarter = 2\n'
                              'params = {talent_recognition = 1.0}\n'),
    # calibration file
    "c-nonutf8.toml": b'name = "c\xff"\n',
    "c-deep.toml": 'name = "c"\nx = ' + "[" * DEEP + "]" * DEEP + "\n",
    "c-years-not-simulated.toml": ('name = "c"\nscenario = "baseline"\nuntil = 2020\nmoments = "model.history"\n'
                                   'samples = 16\naccept = 0.5\n[params]\nenclave_tax_share = {min = 0.0, max = 1.0}\n'),
    "c-onoff-prior.toml": 'name = "c"\nmoments = "model.history"\n[params]\nlicence_recognition = {min = 0, max = 1}\n',
    "c-choice-prior.toml": 'name = "c"\nmoments = "model.history"\n[params]\nmarket_access_list = {min = 0, max = 2}\n',
}

RUN = ["run", "--until", "2019", "--scale", "50000", "--out", "{new}"]
SW = ["--workers", "0", "--no-progress"]
VAL = ["validate", "--seeds", "2", "--scale", "20000", "--workers", "1"]
BENCH = ["bench", "--scales", "50000", "--until", "2019", "--plot", "{new}/b.png"]
CALIB = ["calibrate", str(ROOT / "experiments" / "calibrations" / "hindcast.toml"), "--workers", "0", "--no-progress"]


def sweep(f: str, *more: str) -> list[str]:
    return ["sweep", "{files}/" + f, "--out", "{new}", *SW, *more]


# (id, family, argv, strings the one error line must contain[, env])
CASES: list[tuple] = [
    # ---- parameter values
    ("set-int-inf", "param values", RUN + ["--set", "enclave_duration_years=inf"], ["enclave_duration_years", "inf"]),
    ("set-int-1e400", "param values", RUN + ["--set", "enclave_duration_years=1e400"], ["enclave_duration_years", "1e400"]),
    ("set-int-minus-inf", "param values", RUN + ["--set", "job_offers_sampled=-inf"], ["job_offers_sampled", "-inf"]),
    ("set-float-inf", "param values", RUN + ["--set", "enclave_tax_share=inf"], ["enclave_tax_share", "inf"]),
    ("set-float-1e400", "param values", RUN + ["--set", "commute_fare_yuan=1e400"], ["commute_fare_yuan", "1e400"]),
    ("set-float-nan", "param values", RUN + ["--set", "talent_recognition=nan"], ["talent_recognition", "nan"]),
    ("set-huge-int", "param values", RUN + ["--set", "job_offers_sampled=1" + "0" * 400], ["job_offers_sampled"]),
    ("set-scale-abc", "param values", RUN + ["--set", "scale=abc"], ["scale", "abc"]),
    ("set-scale-and-flag", "param values", RUN + ["--set", "scale=500"], ["scale", "500"]),
    ("set-twice", "param values", RUN + ["--set", "enclave_tax_share=0.1", "--set", "enclave_tax_share=0.2"],
     ["enclave_tax_share", "0.2"]),
    ("scenario-param-inf", "param values", RUN + ["--scenario", "{files}/s-inf-param.toml"],
     ["enclave_duration_years", "inf"]),
    ("scenario-param-huge-int", "param values", RUN + ["--scenario", "{files}/s-huge-int.toml"],
     ["enclave_duration_years", "1000"]),
    ("sweep-level-inf", "param values", sweep("w-level-inf.toml"), ["enclave_duration_years", "inf"]),
    ("sweep-fixed-1e400", "param values", sweep("w-fixed-1e400.toml"), ["enclave_duration_years", "inf"]),
    # ---- on/off (kind=bool) and categorical (kind=str) parameters
    ("set-choice-unknown", "on/off and categorical", RUN + ["--set", "market_access_list=shared"],
     ["market_access_list", "shared", "separate, aligned, unified"]),
    ("set-choice-empty", "on/off and categorical", RUN + ["--set", "market_access_list="],
     ["market_access_list", "''", "separate, aligned, unified"]),
    ("set-choice-case", "on/off and categorical", RUN + ["--set", "market_access_list=Unified"],
     ["market_access_list", "Unified", "one of"]),
    ("set-onoff-word", "on/off and categorical", RUN + ["--set", "licence_recognition=maybe"],
     ["licence_recognition", "maybe", "true or false"]),
    ("set-onoff-number", "on/off and categorical", RUN + ["--set", "licence_recognition=2"],
     ["licence_recognition", "'2'", "true or false"]),
    ("set-onoff-twice", "on/off and categorical", RUN + ["--set", "licence_recognition=true", "--set",
                                                         "licence_recognition=false"], ["licence_recognition", "once"]),
    ("validate-set-choice", "on/off and categorical", VAL + ["--out", "{new}", "--set", "market_access_list=one"],
     ["market_access_list", "one"]),
    ("scenario-choice-unknown", "on/off and categorical", RUN + ["--scenario", "{files}/s-choice-unknown.toml"],
     ["market_access_list", "open", "separate"]),
    ("scenario-choice-number", "on/off and categorical", RUN + ["--scenario", "{files}/s-choice-number.toml"],
     ["market_access_list", "2", "one of"]),
    ("scenario-onoff-string", "on/off and categorical", RUN + ["--scenario", "{files}/s-onoff-string.toml"],
     ["licence_recognition", "sometimes", "true or false"]),
    ("scenario-onoff-number", "on/off and categorical", RUN + ["--scenario", "{files}/s-onoff-number.toml"],
     ["licence_recognition", "1", "true or false"]),
    ("scenario-timeline-choice", "on/off and categorical", RUN + ["--scenario", "{files}/s-timeline-choice.toml"],
     ["market_access_list", "one", "separate, aligned, unified"]),
    ("sweep-onoff-range", "on/off and categorical", sweep("w-onoff-range.toml"),
     ["params.licence_recognition", "'min': 0", "[true, false]", "no range"]),
    ("sweep-onoff-range-levels", "on/off and categorical", sweep("w-onoff-range-levels.toml"),
     ["params.licence_recognition", "'levels': 2", "[true, false]"]),
    ("sweep-choice-range", "on/off and categorical", sweep("w-choice-range.toml"),
     ["params.market_access_list", "'separate'", "separate, aligned, unified", "no range"]),
    ("sweep-choice-range-numbers", "on/off and categorical", sweep("w-choice-range-numbers.toml"),
     ["params.market_access_list", "'max': 2", "a list of levels"]),
    ("sweep-onoff-scalar", "on/off and categorical", sweep("w-onoff-scalar.toml"),
     ["params.licence_recognition", "True", "[fixed]"]),
    ("sweep-choice-scalar", "on/off and categorical", sweep("w-choice-scalar.toml"),
     ["params.market_access_list", "'unified'", "[fixed]"]),
    ("sweep-choice-unknown-level", "on/off and categorical", sweep("w-choice-unknown-level.toml"),
     ["params.market_access_list", "'shared'", "one of separate, aligned, unified"]),
    ("sweep-choice-number-level", "on/off and categorical", sweep("w-choice-number-level.toml"),
     ["params.market_access_list", "0", "one of separate"]),
    ("sweep-choice-duplicate-level", "on/off and categorical", sweep("w-choice-dup-level.toml"),
     ["params.market_access_list", "'unified'", "once"]),
    ("sweep-onoff-number-level", "on/off and categorical", sweep("w-onoff-number-level.toml"),
     ["params.licence_recognition", "2", "true or false"]),
    ("sweep-onoff-duplicate-level", "on/off and categorical", sweep("w-onoff-dup-level.toml"),
     ["params.licence_recognition", "'yes'", "once"]),
    ("sweep-onoff-no-levels", "on/off and categorical", sweep("w-onoff-empty.toml"),
     ["params.licence_recognition", "[]", "non-empty"]),
    ("sweep-number-given-onoff-levels", "on/off and categorical", sweep("w-number-onoff-levels.toml"),
     ["params.enclave_tax_share", "True", "a finite number"]),
    ("sweep-fixed-choice-unknown", "on/off and categorical", sweep("w-fixed-choice-unknown.toml"),
     ["fixed.market_access_list", "'shared'", "separate, aligned, unified"]),
    ("sweep-fixed-onoff-number", "on/off and categorical", sweep("w-fixed-onoff-number.toml"),
     ["fixed.licence_recognition", "3", "true or false"]),
    ("sweep-lhs-onoff-range", "on/off and categorical", sweep("w-lhs-onoff-range.toml"),
     ["params.licence_recognition", "[true, false]"]),
    ("sweep-sobol-choice-range", "on/off and categorical", sweep("w-sobol-choice-range.toml"),
     ["params.market_access_list", "a list of levels"]),
    ("sweep-morris-choice-scalar", "on/off and categorical", sweep("w-morris-choice-scalar.toml"),
     ["params.market_access_list", "'aligned'", "[fixed]"]),
    ("calibrate-onoff-prior", "on/off and categorical", ["calibrate", "{files}/c-onoff-prior.toml", "--out", "{new}"],
     ["params.licence_recognition", "numeric", "on/off or categorical"]),
    ("calibrate-choice-prior", "on/off and categorical", ["calibrate", "{files}/c-choice-prior.toml", "--out", "{new}"],
     ["params.market_access_list", "numeric"]),
    ("validate-set-inf", "param values", VAL + ["--out", "{new}", "--set", "enclave_duration_years=inf"],
     ["enclave_duration_years", "inf"]),
    ("validate-scale-twice", "param values", VAL + ["--out", "{new}", "--set", "scale=700"], ["scale", "700"]),
    # ---- unusable output folders, found before anything runs
    ("run-out-read-only", "output folder", RUN[:-1] + ["{ro}/x"], ["--out", "{ro}/x", "writ"]),
    ("run-out-proc", "output folder", RUN[:-1] + ["/proc/czt-sim-out"], ["--out", "/proc/czt-sim-out"]),
    ("run-out-below-file", "output folder", RUN[:-1] + ["{file}/sub"], ["--out", "{file}/sub", "is a file"]),
    ("run-out-is-file", "output folder", RUN[:-1] + ["{file}"], ["--out", "{file}", "is a file"]),
    ("run-out-empty", "output folder", RUN[:-1] + [""], ["--out", "''"]),
    ("run-out-too-long", "output folder", RUN[:-1] + ["{tmp}/" + "x" * 5000], ["--out", "xxxx"]),
    ("sweep-out-read-only", "output folder", ["sweep", "{files}/w-ok.toml", "--out", "{ro}/x", *SW],
     ["--out", "{ro}/x", "writ"]),
    ("sweep-out-proc", "output folder", ["sweep", "{files}/w-ok.toml", "--out", "/proc/czt-sweep", *SW],
     ["--out", "/proc/czt-sweep"]),
    ("sweep-out-below-file", "output folder", ["sweep", "{files}/w-ok.toml", "--out", "{file}/s", *SW],
     ["--out", "{file}/s"]),
    ("resume-read-only-folder", "output folder", ["resume", "{ro_sweep}", *SW], ["{ro_sweep}", "writ"]),
    ("validate-out-read-only", "output folder", VAL + ["--out", "{ro}/v"], ["--out", "{ro}/v", "writ"]),
    ("validate-out-proc", "output folder", VAL + ["--out", "/proc/czt-validate"], ["--out", "/proc/czt-validate"]),
    ("calibrate-out-read-only", "output folder", CALIB + ["--out", "{ro}/c"], ["--out", "{ro}/c", "writ"]),
    ("calibrate-out-below-file", "output folder", CALIB + ["--out", "{file}/c"], ["--out", "{file}/c"]),
    ("report-out-read-only", "output folder", ["report", "{finished_sweep}", "--out", "{ro}/r"],
     ["--out", "{ro}/r", "writ"]),
    ("report-out-proc", "output folder", ["report", "{finished_sweep}", "--out", "/proc/czt-report"],
     ["--out", "/proc/czt-report"]),
    ("bench-plot-read-only", "output folder", BENCH[:-1] + ["{ro}/b.png"], ["--plot", "{ro}", "writ"]),
    ("bench-plot-format", "output folder", BENCH[:-1] + ["{new}/b.txt"], ["--plot", "b.txt", ".png"]),
    # ---- scenario files
    ("scenario-not-utf8", "scenario file", RUN + ["--scenario", "{files}/s-nonutf8.toml"], ["s-nonutf8.toml", "UTF-8"]),
    ("scenario-deep-arrays", "scenario file", RUN + ["--scenario", "{files}/s-deep-arrays.toml"],
     ["s-deep-arrays.toml", "nested"]),
    ("scenario-deep-header", "scenario file", RUN + ["--scenario", "{files}/s-deep-header.toml"],
     ["s-deep-header.toml", "'a'"]),
    ("scenario-deep-inline", "scenario file", RUN + ["--scenario", "{files}/s-deep-inline.toml"],
     ["s-deep-inline.toml", "nested"]),
    ("scenario-title-deep", "scenario file", RUN + ["--scenario", "{files}/s-title-deep.toml"],
     ["s-title-deep.toml: title", "a string"]),
    ("scenario-note-deep", "scenario file", RUN + ["--scenario", "{files}/s-note-deep.toml"], ["note", "a string"]),
    ("scenario-key-newline", "scenario file", RUN + ["--scenario", "{files}/s-key-newline.toml"], ["bad\\nkey"]),
    ("scenario-too-big", "scenario file", RUN + ["--scenario", "{files}/s-too-big.toml"], ["s-too-big.toml", "MB"]),
    ("scenario-extends-int", "scenario file", RUN + ["--scenario", "{files}/s-extends-int.toml"], ["extends", "3"]),
    ("scenario-extends-list", "scenario file", RUN + ["--scenario", "{files}/s-extends-list.toml"],
     ["extends", "['baseline']"]),
    ("scenario-extends-table", "scenario file", RUN + ["--scenario", "{files}/s-extends-table.toml"],
     ["extends", "{'a': 1}"]),
    ("scenario-extends-nul", "scenario file", RUN + ["--scenario", "{files}/s-extends-nul.toml"], ["a\\x00b.toml"]),
    ("scenario-enclave-int", "scenario file", RUN + ["--scenario", "{files}/s-enclave-int.toml"], ["enclave", "3"]),
    ("scenario-enclave-string", "scenario file", RUN + ["--scenario", "{files}/s-enclave-string.toml"],
     ["enclave", "yushao_park"]),
    ("scenario-enclave-table", "scenario file", RUN + ["--scenario", "{files}/s-enclave-table.toml"],
     ["enclave", "yushao_park"]),
    ("scenario-park-list", "scenario file", RUN + ["--scenario", "{files}/s-park-list.toml"],
     ["park", "['yushao_park']"]),
    ("scenario-park-table", "scenario file", RUN + ["--scenario", "{files}/s-park-table.toml"], ["park", "{'a': 1}"]),
    ("scenario-sponsor-list", "scenario file", RUN + ["--scenario", "{files}/s-sponsor-list.toml"],
     ["sponsor", "['changsha']"]),
    ("scenario-duplicate-park", "scenario file", RUN + ["--scenario", "{files}/s-dup-park.toml"],
     ["enclave[1].park", "jiuhua_yuhua_park"]),
    ("scenario-enclave-unknown-key", "scenario file", RUN + ["--scenario", "{files}/s-enclave-typo.toml"],
     ["hots", "xiangtan"]),
    ("scenario-name-int", "scenario file", RUN + ["--scenario", "{files}/s-name-int.toml"], ["name", "3"]),
    # ---- sweep and calibration files
    ("sweep-not-utf8", "sweep file", sweep("w-nonutf8.toml"), ["w-nonutf8.toml", "UTF-8"]),
    ("sweep-deep-arrays", "sweep file", sweep("w-deep-arrays.toml"), ["w-deep-arrays.toml", "nested"]),
    ("sweep-deep-header", "sweep file", sweep("w-deep-header.toml"), ["params.a", "unknown parameter"]),
    ("sweep-description-deep", "sweep file", sweep("w-desc-deep.toml"), ["description", "a string"]),
    ("sweep-factorial-billions", "sweep file", sweep("w-billions.toml"), ["design", "10000000000", "1,000,000"]),
    ("sweep-range-levels-huge", "sweep file", sweep("w-levels-huge.toml"), ["levels", "1000000000"]),
    ("sweep-sobol-huge", "sweep file", sweep("w-sobol-huge.toml"), ["design", "1572864000"]),
    ("sweep-timeout-nan-file", "sweep file", sweep("w-nan-timeout.toml"), ["timeout_seconds", "nan"]),
    ("sweep-timeout-inf-file", "sweep file", sweep("w-inf-timeout.toml"), ["timeout_seconds", "inf"]),
    ("sweep-unknown-output", "sweep file", sweep("w-unknown-output.toml"), ["outputs", "'gdp'", "gdp_share"]),
    ("sweep-duplicate-output", "sweep file", sweep("w-dup-output.toml"), ["outputs", "gdp_share", "once"]),
    ("sweep-duplicate-level", "sweep file", sweep("w-dup-level.toml"), ["enclave_tax_share", "0.5", "once"]),
    ("sweep-scenario-not-utf8", "sweep file", sweep("w-scenario-nonutf8.toml"), ["s-nonutf8.toml", "UTF-8"]),
    ("sweep-bad-output-into-finished", "sweep file",
     ["sweep", "{files}/w-unknown-output.toml", "--out", "{finished_sweep}", *SW], ["outputs", "'gdp'"]),
    ("calibrate-not-utf8", "sweep file", ["calibrate", "{files}/c-nonutf8.toml", "--out", "{new}"],
     ["c-nonutf8.toml", "UTF-8"]),
    ("calibrate-deep", "sweep file", ["calibrate", "{files}/c-deep.toml", "--out", "{new}"], ["c-deep.toml", "nested"]),
    # ---- command-line flags of every subcommand
    ("sweep-timeout-nan-flag", "flags", sweep("w-ok.toml", "--timeout", "nan"), ["--timeout", "nan"]),
    ("sweep-timeout-inf-flag", "flags", sweep("w-ok.toml", "--timeout", "inf"), ["--timeout", "inf"]),
    ("resume-timeout-nan-flag", "flags", ["resume", "{finished_sweep}", "--timeout", "nan", *SW], ["--timeout", "nan"]),
    ("sweep-workers-abc", "flags", sweep("w-ok.toml", "--workers", "abc"), ["--workers", "abc"]),
    ("sweep-workers-huge", "flags", sweep("w-ok.toml", "--workers", "100000"), ["--workers", "100000", "per core"]),
    ("sweep-retries-huge", "flags", sweep("w-ok.toml", "--retries", "1000000000"), ["--retries", "1000000000"]),
    ("resume-workers-huge", "flags", ["resume", "{planned}", "--workers", "100000", "--no-progress"],
     ["--workers", "100000"]),
    ("calibrate-workers-huge", "flags", CALIB + ["--out", "{new}", "--workers", "100000"], ["--workers", "100000"]),
    ("validate-workers-huge", "flags", VAL + ["--out", "{new}", "--workers", "100000"], ["--workers", "100000"]),
    ("analyze-resamples-0", "flags", ["analyze", "{finished_sweep}", "--resamples", "0"], ["--resamples", "0", "10"]),
    ("analyze-resamples-negative", "flags", ["analyze", "{finished_sweep}", "--resamples", "-5"], ["--resamples", "-5"]),
    ("analyze-conf-nan", "flags", ["analyze", "{finished_sweep}", "--conf", "nan"], ["--conf", "nan"]),
    ("report-resamples-0", "flags", ["report", "{finished_sweep}", "--out", "{new}", "--resamples", "0"],
     ["--resamples", "0"]),
    ("report-lang", "flags", ["report", "{finished_sweep}", "--out", "{new}", "--lang", "fr"], ["--lang", "fr"]),
    ("bench-scales-abc", "flags", ["bench", "--scales", "abc", "--plot", "{new}/b.png"], ["--scales", "abc"]),
    ("bench-scales-empty", "flags", ["bench", "--scales", "", "--plot", "{new}/b.png"], ["--scales"]),
    ("bench-scales-zero", "flags", ["bench", "--scales", "0", "--until", "2019", "--plot", "{new}/b.png"],
     ["--scales", "0"]),
    ("bench-until-1900", "flags", ["bench", "--scales", "50000", "--until", "1900", "--plot", "{new}/b.png"],
     ["--until", "1900"]),
    ("validate-seeds-huge", "flags", VAL + ["--out", "{new}", "--seeds", "1000000"], ["--seeds", "1000000"]),
    ("validate-workers-negative", "flags", VAL + ["--out", "{new}", "--workers", "-2"], ["--workers", "-2"]),
    ("run-seed-abc", "flags", RUN + ["--seed", "abc"], ["--seed", "abc"]),
    ("run-seed-huge", "flags", RUN + ["--seed", str(2**70)], ["--seed", str(2**70)]),
    ("run-until-before-start", "flags", RUN + ["--until", "2015"], ["until", "2015"]),
    ("resume-unknown-flag", "flags", ["resume", "{finished_sweep}", "--bogus"], ["--bogus"]),
    ("status-two-dirs", "flags", ["status", "{finished_sweep}", "{finished_sweep}"], ["unrecognized"]),
    ("no-command", "flags", [], ["cmd"]),
    # ---- damaged sweep folders
    ("status-damaged-design", "damaged folder", ["status", "{damaged_design}"], ["design.parquet", "resume"]),
    ("analyze-damaged-design", "damaged folder", ["analyze", "{damaged_design}"], ["design.parquet", "resume"]),
    ("report-damaged-design", "damaged folder", ["report", "{damaged_design}", "--out", "{new}"], ["design.parquet"]),
    ("status-damaged-spec", "damaged folder", ["status", "{damaged_spec}"], ["spec.json", "damaged"]),
    ("resume-damaged-spec", "damaged folder", ["resume", "{damaged_spec}", *SW], ["spec.json", "damaged"]),
    # ---- files read back: spec.json edited by hand, checked as strictly as the sweep file it came from
    ("resume-spec-count-as-string", "read back", ["resume", "{edited_spec}", *SW],
     ["spec.json: spec: replications", "'2'", "an integer"]),
    ("report-spec-count-as-string", "read back", ["report", "{edited_spec}", "--out", "{new}"],
     ["spec.json: spec: replications", "'2'"]),
    ("status-spec-count-as-string", "read back", ["status", "{edited_spec}"], ["replications", "'2'"]),
    ("analyze-spec-count-as-string", "read back", ["analyze", "{edited_spec}"], ["replications", "'2'"]),
    ("resume-spec-count-changed", "read back", ["resume", "{digest_spec}", *SW], ["spec.json: digest", "edited"]),
    ("report-spec-count-changed", "read back", ["report", "{digest_spec}", "--out", "{new}"], ["digest", "edited"]),
    ("status-spec-unknown-key", "read back", ["status", "{unknown_key_spec}"], ["spec: colour", "'red'", "unknown key"]),
    ("resume-spec-timeout-nan", "read back", ["resume", "{nan_spec}", *SW], ["timeout_seconds", "nan"]),
    ("resume-spec-unknown-parameter", "read back", ["resume", "{unknown_param_spec}", *SW],
     ["no_such_lever", "unknown parameter"]),
    # ---- calibration folders read back
    ("coverage-sweep-of-another-calibration", "read back", ["calibration-coverage", "{cal_mismatch}"],
     ["sweep/spec.json", "calibration folder mismatch", "calibration.toml"]),
    ("coverage-cities-truncated", "read back", ["calibration-coverage", "{cal_cities}"],
     ["sweep/cities.parquet", "not a whole Parquet file", "resume"]),
    ("coverage-design-truncated", "read back", ["calibration-coverage", "{cal_design}"],
     ["sweep/design.parquet", "resume"]),
    ("coverage-not-a-calibration", "read back", ["calibration-coverage", "{finished_sweep}"], ["RESULTS"]),
    ("coverage-design-value-not-a-number", "read back", ["calibration-coverage", "{cal_design_value}"],
     ["sweep/design.parquet", "enclave_tax_share = 'x'", "(spec.json: 0 to 1)", "resume"]),
    ("coverage-design-row-twice", "read back", ["calibration-coverage", "{cal_design_twice}"],
     ["sweep/design.parquet", "point 0 replicate 0 twice"]),
    ("status-design-value-not-a-level", "read back", ["status", "{design_value}"],
     ["design.parquet", "enclave_tax_share = 0.25", "(spec.json: 0)"]),
    ("coverage-cities-run-missing", "read back", ["calibration-coverage", "{cal_cities_cut}"],
     ["sweep/cities.parquet", "no rows for run", "resume"]),
    ("coverage-cities-rows-twice", "read back", ["calibration-coverage", "{cal_cities_twice}"],
     ["sweep/cities.parquet", "twice", "resume"]),
    ("coverage-too-few-ok-points", "read back", ["calibration-coverage", "{cal_few_points}"],
     ["sweep", "3 design points with an ok run", "at least 4"]),
    # ---- folder edge cases
    ("resume-lock-is-a-folder", "folder", ["resume", "{lock_dir}", *SW], [".lock", "Is a directory"]),
    # files planted under the names a sweep folder uses: a link (resume truncated the file it points to), a FIFO
    ("resume-lock-is-a-link", "planted files", ["resume", "{lock_link}", *SW], [".lock", "a symbolic link"]),
    ("resume-lock-is-a-fifo", "planted files", ["resume", "{lock_fifo}", *SW], [".lock", "not a regular file"]),
    ("status-spec-is-a-fifo", "planted files", ["status", "{spec_fifo}"], ["spec.json", "not a regular file"]),
    ("report-spec-is-a-fifo", "planted files", ["report", "{spec_fifo}", "--out", "{new}"], ["spec.json", "FIFO"]),
    ("resume-manifest-is-a-link", "planted files", ["resume", "{manifest_link}", *SW],
     ["manifest.jsonl", "a symbolic link"]),
    ("status-name-too-long", "folder", ["status", "{tmp}/" + "x" * 300], ["DIR", "File name too long"]),
    ("resume-name-too-long", "folder", ["resume", "{tmp}/" + "x" * 300, *SW], ["DIR", "File name too long"]),
    ("report-name-too-long", "folder", ["report", "{tmp}/" + "x" * 300, "--out", "{new}"], ["DIR"]),
    ("coverage-name-too-long", "folder", ["calibration-coverage", "{tmp}/" + "x" * 300], ["x" * 40]),
    ("run-out-holds-a-sweep", "folder", RUN[:-1] + ["{finished_sweep}"], ["--out", "{finished_sweep}", "a sweep"]),
    ("run-out-name-too-long", "folder", RUN[:-1] + ["{tmp}/" + "x" * 300], ["--out", "File name too long"]),
    ("bench-plot-name-too-long", "folder", BENCH[:-1] + ["{tmp}/" + "x" * 300 + "/b.png"], ["--plot", "too long"]),
    ("run-out-not-utf8", "folder", RUN[:-1] + ["{tmp}/o\udcff"], ["--out", "UTF-8", "\\xff"]),
    ("sweep-out-not-utf8", "folder", ["sweep", "{files}/w-ok.toml", "--out", "{tmp}/s\udcfe", *SW], ["--out", "UTF-8"]),
    ("report-out-not-utf8", "folder", ["report", "{finished_sweep}", "--out", "{tmp}/r\udcfd"], ["--out", "UTF-8"]),
    ("run-out-link-loop", "folder", RUN[:-1] + ["{tmp}/loop/run"], ["--out", "{tmp}/loop/run"]),
    ("status-spec-endless", "read back", ["status", "{endless_spec}"], ["spec.json", "not a regular file"]),
    ("status-spec-over-16mb", "read back", ["status", "{huge_spec}"], ["spec.json", "over 16 MB"]),
    ("calibrate-moments-not-simulated", "read back", ["calibrate", "{files}/c-years-not-simulated.toml", "--out",
                                                      "{new}"], ["scenario", "baseline", "2019-2020", "hindcast-2010"]),
    # ---- silently accepted before
    ("sweep-samples-word", "accepted before", sweep("w-samples-word.toml"), ["samples", "'many'", "an integer"]),
    ("sweep-samples-fraction", "accepted before", sweep("w-samples-fraction.toml"), ["samples", "2.5"]),
    ("run-timeline-before-start", "accepted before", RUN + ["--scenario", "{files}/s-timeline-early.toml"],
     ["timeline 2015Q2", "2019Q1"]),
    ("sweep-scenario-is-a-folder", "accepted before", sweep("w-scenario-folder.toml"), ["scenario", "{files}"]),
    # ---- another platform (test-only override of the fingerprint)
    ("resume-other-platform", "platform", ["resume", "{planned}", *SW], ["platform", "test_override"],
     {"CZT_PLATFORM_OVERRIDE": "elsewhere"}),
    ("sweep-continue-other-platform", "platform", ["sweep", "{files}/w-ok.toml", "--out", "{planned}", *SW],
     ["platform", "--allow-mixed-platforms"], {"CZT_PLATFORM_OVERRIDE": "elsewhere"}),
]
SUB = {"set-int-inf", "sweep-timeout-nan-file", "scenario-deep-arrays", "analyze-resamples-0", "run-out-proc",
       "resume-other-platform", "resume-spec-count-as-string", "coverage-cities-truncated", "resume-lock-is-a-folder",
       "run-out-not-utf8", "run-timeline-before-start", "resume-lock-is-a-link", "status-spec-is-a-fifo"}
PROTECTED = ("finished_run", "finished_sweep", "planned", "damaged_design", "damaged_spec", "ro_sweep", "edited_spec",
             "digest_spec", "unknown_key_spec", "nan_spec", "unknown_param_spec", "lock_dir", "cal_mismatch",
             "cal_cities", "cal_design", "endless_spec", "cal_design_value", "cal_design_twice", "design_value",
             "cal_cities_cut", "cal_cities_twice", "cal_few_points", "lock_link", "lock_fifo", "spec_fifo", "manifest_link")


# ---------------------------------------------------------------- fixtures (also used for another checkout)
def _cli(root: Path, *args: str, env: dict | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "experiments", *args], cwd=root, capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, timeout=timeout)


def build_fixtures(tmp: Path, root: Path = ROOT) -> dict[str, str]:
    """The hostile files and the folders the cases must leave unchanged, built with the code in ``root``."""
    files = tmp / "files"
    files.mkdir()
    for name, content in FILES.items():
        if isinstance(content, bytes):
            (files / name).write_bytes(content)
        else:
            (files / name).write_text(content.replace("{files}", str(files)), encoding="utf-8")
    ctx = {"tmp": str(tmp), "files": str(files)}
    (tmp / "a-file.txt").write_text("not a folder\n")
    ctx["file"] = str(tmp / "a-file.txt")
    r = _cli(root, "run", "--until", "2019", "--scale", "50000", "--seed", "1", "--out", str(tmp / "finished-run"))
    assert r.returncode == 0, r.stderr
    r = _cli(root, "sweep", str(files / "w-ok.toml"), "--out", str(tmp / "finished-sweep"), "--workers", "0",
             "--no-progress")
    assert r.returncode == 0, r.stderr
    code = ("import sys; from experiments.sweep.runner import prepare; "
            f"prepare({str(tmp / 'planned')!r}, spec_path={str(files / 'w-ok.toml')!r})")
    r = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    ctx.update(finished_run=str(tmp / "finished-run"), finished_sweep=str(tmp / "finished-sweep"),
               planned=str(tmp / "planned"))
    for name, damage in (("damaged_design", "design.parquet"), ("damaged_spec", "spec.json")):
        d = tmp / name.replace("_", "-")
        shutil.copytree(tmp / "finished-sweep", d)
        f = d / damage
        f.write_bytes(f.read_bytes()[: len(f.read_bytes()) // 2])
        ctx[name] = str(d)
    # spec.json edited by hand: a count as a string, a count changed (the digest no longer matches), a key that no
    # version wrote, a timeout of NaN (JSON allows it), a parameter that does not exist
    for name, edit in (("edited_spec", lambda d: d["spec"].update(replications="2")),
                       ("digest_spec", lambda d: d["spec"].update(replications=2)),
                       ("unknown_key_spec", lambda d: d["spec"].update(colour="red")),
                       ("nan_spec", lambda d: d["spec"].update(timeout_seconds=float("nan"))),
                       ("unknown_param_spec", lambda d: d["spec"]["fixed"].update(no_such_lever=1.0))):
        d = tmp / name.replace("_", "-")
        shutil.copytree(tmp / "finished-sweep", d)
        info = json.loads((d / "spec.json").read_text())
        edit(info)
        (d / "spec.json").write_text(json.dumps(info))
        ctx[name] = str(d)
    d = tmp / "endless-spec"  # spec.json is a link to an endless file
    shutil.copytree(tmp / "finished-sweep", d)
    (d / "spec.json").unlink()
    (d / "spec.json").symlink_to("/dev/zero")
    ctx["endless_spec"] = str(d)
    (tmp / "loop").symlink_to(tmp / "loop")  # a link to itself
    lock = tmp / "lock-dir"  # .lock is a folder
    shutil.copytree(tmp / "planned", lock)
    (lock / ".lock").unlink(missing_ok=True)
    (lock / ".lock").mkdir()
    ctx["lock_dir"] = str(lock)
    # files planted in a sweep folder: .lock linked to a file of the user's (here inside the folder, so the
    # snapshot sees it truncated), .lock and spec.json as FIFOs, the manifest linked elsewhere, a 17 MB spec.json
    for name, src, plant in (("lock_link", "planned", lambda d: (d / ".lock").symlink_to(d / "victim.txt")),
                             ("lock_fifo", "planned", lambda d: os.mkfifo(d / ".lock")),
                             ("spec_fifo", "finished-sweep", lambda d: os.mkfifo(d / "spec.json")),
                             ("manifest_link", "planned", lambda d: (d / "manifest.jsonl").symlink_to(d / "victim.txt")),
                             ("huge_spec", "finished-sweep", lambda d: os.truncate(d / "spec.json", 17 * 2**20))):
        d = tmp / name.replace("_", "-")
        shutil.copytree(tmp / src, d)
        (d / "victim.txt").write_text("a file of the user's\n")
        for f in (".lock", "spec.json", "manifest.jsonl"):
            if name.split("_")[0] in f and name != "huge_spec":
                (d / f).unlink(missing_ok=True)
        plant(d)
        ctx[name] = str(d)
    d = tmp / "design-value"  # a factor value the spec never planned (0.25 where the one level is 0)
    shutil.copytree(tmp / "finished-sweep", d)
    t = pd.read_parquet(d / "design.parquet")
    t.assign(enclave_tax_share=0.25).to_parquet(d / "design.parquet")
    ctx["design_value"] = str(d)
    # calibration folders: the finished sweep beside a calibration file it was not made from, whole or damaged
    cal_toml = ('name = "c"\nscenario = "baseline"\nuntil = 2020\nscale = 50000\n'
                f'moments = "{root / "tests" / "calib_moments.py"}"\n'  # 2020 moments: a 2019 scenario simulates them
                'samples = 32\nreplications = 1\n[params]\nenclave_tax_share = {min = 0.0, max = 1.0}\n')
    for name, damage in (("cal_mismatch", None), ("cal_cities", "cities.parquet"), ("cal_design", "design.parquet")):
        d = tmp / name.replace("_", "-")
        shutil.copytree(tmp / "finished-sweep", d / "sweep")
        (d / "calibration.toml").write_text(cal_toml)
        if damage:
            f = d / "sweep" / damage
            f.write_bytes(f.read_bytes()[:300])
        ctx[name] = str(d)
    # a calibration folder that matches its file (the design sweep of 4 points, no estimation), then copies whose
    # tables read whole but are not as written: a factor value that is not a number, a design row twice, an ok run
    # missing from cities.parquet, a run's rows twice, and too few ok points for the leave-one-out cases
    cal = tmp / "cal-base"
    cal.mkdir()
    (cal / "calibration.toml").write_text(cal_toml.replace("samples = 32", "samples = 4\naccept = 0.75"))
    code = ("from experiments.calibrate import config; from experiments.calibrate.pipeline import design_spec; "
            "from experiments.sweep.runner import run; "
            f"run({str(cal / 'sweep')!r}, spec=design_spec(config.read({str(cal / 'calibration.toml')!r})), "
            "workers=0, progress=False)")
    r = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, timeout=300,
                       check=False)
    assert r.returncode == 0, r.stderr

    def one_failed(d: Path) -> None:  # a run that failed: its runs part says so and cities.parquet has no rows of it
        part = min((d / "sweep" / "parts" / "runs").glob("*.parquet"))
        pd.read_parquet(part).assign(status="failed").to_parquet(part)
        c = pd.read_parquet(d / "sweep" / "cities.parquet")
        c[c.run_id != part.stem].to_parquet(d / "sweep" / "cities.parquet")

    def edit(table, change):
        def apply(d: Path) -> None:
            f = d / "sweep" / f"{table}.parquet"
            change(pd.read_parquet(f)).to_parquet(f)
        return apply

    for name, damage in (("cal_design_value", edit("design", lambda t: t.assign(enclave_tax_share="x"))),
                         ("cal_design_twice", edit("design", lambda t: pd.concat([t, t]))),
                         ("cal_cities_cut", edit("cities", lambda t: t[t.run_id != t.run_id.iloc[0]])),
                         ("cal_cities_twice", edit("cities", lambda t: pd.concat([t, t]))),
                         ("cal_few_points", one_failed)):
        d = tmp / name.replace("_", "-")
        shutil.copytree(cal, d)
        damage(d)
        ctx[name] = str(d)
    ro = tmp / "read-only"
    ro.mkdir()
    shutil.copytree(tmp / "planned", tmp / "ro-sweep")
    if make_read_only(ro) and make_read_only(tmp / "ro-sweep"):
        ctx["ro"], ctx["ro_sweep"] = str(ro), str(tmp / "ro-sweep")
    return ctx


def snapshot(ctx: dict[str, str]) -> dict[str, str]:
    """Content hash of every file of the protected folders (the lock file aside: each attempt rewrites it)."""
    out = {}
    for key in PROTECTED:
        if key not in ctx:
            continue
        for f in sorted(Path(ctx[key]).rglob("*")):
            if f.is_file() and f.name != ".lock":
                out[str(f)] = hashlib.sha256(f.read_bytes()).hexdigest()
    return out


def fill(args: list[str], ctx: dict[str, str], new: str = "{new}") -> list[str]:
    """Put the fixture paths (and ``{new}``, a fresh path) into a case's arguments or expected strings."""
    out = []
    for a in args:
        for k, v in {**ctx, "new": new}.items():
            a = a.replace("{" + k + "}", v)
        out.append(a)
    return out


def changes(before: dict[str, str], after: dict[str, str]) -> tuple[list[str], list[str]]:
    """(files of the protected folders changed or removed, files added to them)."""
    lost = sorted(k for k in before if after.get(k) != before[k])
    return lost, sorted(set(after) - set(before))


def classify(code: int | None, stderr: str, must: list[str], lost: list[str], left: bool,
             added: list[str] = ()) -> str:
    """'ok' (what every case must give), or what went wrong: traceback, accepted (exit 0), lost, ..."""
    if "Traceback" in stderr:
        return "traceback"
    if lost:
        return "finished files changed"
    if code == 0:
        return "silently accepted"
    if added:
        return "wrote into a finished folder"
    lines = stderr.strip().splitlines()
    if code != 2 or len(lines) != 1 or not lines[0].startswith("error: "):
        return f"exit {code}, {len(lines)} stderr lines"
    if any(m not in lines[0] for m in must):
        return "error line misses field or value"
    if left:
        return "output left behind"
    return "ok"


def _left(new: Path) -> bool:
    return new.exists() and (not new.is_dir() or any(new.iterdir()))


# ---------------------------------------------------------------- the tests
@pytest.fixture(scope="module")
def ctx(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("hostile")
    c = build_fixtures(tmp)
    c["_snapshot"] = json.dumps(snapshot(c))
    yield c
    for key in ("ro", "ro_sweep"):
        if key in c:
            make_writable(Path(c[key]))


def _needs(case_args: list[str], ctx: dict) -> None:
    if any("{ro" in a for a in case_args) and "ro" not in ctx:
        pytest.skip("cannot make a folder read-only here (not root with chattr, nor a user chmod binds)")


def _check(name: str, ctx: dict, code, err: str, must: list[str], new: Path) -> None:
    lost, added = changes(json.loads(ctx["_snapshot"]), snapshot(ctx))
    outcome = classify(code, err, fill(must, ctx), lost, _left(new), added)
    assert outcome == "ok", f"{name}: {outcome}; exit {code}; stderr: {err[-800:]}; changed: {(lost + added)[:5]}"


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_bad_input_in_process(ctx, capsys, monkeypatch, tmp_path, case):
    from experiments.cli import main

    name, _family, args, must, *env = case
    _needs(args, ctx)
    for k, v in (env[0] if env else {}).items():
        monkeypatch.setenv(k, v)

    def no_model(*a, **kw):
        raise AssertionError(f"{name}: a model was built: validation must come before any simulation")

    monkeypatch.setattr("model.czt_model.CZTModel.__init__", no_model)
    new = tmp_path / "new-out"

    def hung(*_):  # a case that waits forever (a FIFO opened for reading) fails instead of stopping the suite
        raise TimeoutError(f"{name}: still waiting after 60 s")

    old = signal.signal(signal.SIGALRM, hung)
    signal.alarm(60)
    try:
        code = main(fill(args, ctx, str(new)))
    except SystemExit as exc:  # argparse
        code = exc.code
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
    err = capsys.readouterr().err
    _check(name, ctx, code, err, must, new)


@pytest.fixture(scope="module")
def sub_results(ctx, tmp_path_factory):
    """The SUB cases through real interpreters, two at a time."""
    base = tmp_path_factory.mktemp("sub")
    todo = [c for c in CASES if c[0] in SUB]
    res = {}
    for i in range(0, len(todo), 2):
        procs = []
        for name, _f, args, _m, *env in todo[i:i + 2]:
            new = base / name
            procs.append((name, new, subprocess.Popen(
                [sys.executable, "-m", "experiments", *fill(args, ctx, str(new))], cwd=ROOT, text=True,
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, env={**os.environ, **(env[0] if env else {})})))
        for name, new, p in procs:
            _, err = p.communicate(timeout=300)
            res[name] = (p.returncode, err, new)
    return res


@pytest.mark.cli
@pytest.mark.parametrize("case", [c for c in CASES if c[0] in SUB], ids=[c[0] for c in CASES if c[0] in SUB])
def test_bad_input_subprocess(ctx, sub_results, case):
    name, _family, args, must, *_ = case
    _needs(args, ctx)
    code, err, new = sub_results[name]
    _check(name, ctx, code, err, must, new)


# ---------------------------------------------------------------- hostile links (ui/urlstate.py)
PIN = '{"scenario":"baseline","scale":500,"seeds":[1]%s}'
LINKS: list[tuple[str, str, list[str]]] = [
    # (id, query, strings the one-line ConfigError must contain)
    ("arabic-indic-digit", "seed=%D9%A3", ["'seed'", "ASCII digits"]),
    ("fullwidth-digits", "scale=%EF%BC%95%EF%BC%90%EF%BC%90", ["'scale'", "ASCII digits"]),
    ("digit-with-space", "seed=+3", ["'seed'", "ASCII digits"]),  # '+' is a space in a query
    ("digit-underscore", "seeds=1_0", ["'seeds'", "'1_0'"]),
    ("repeated-key", "seed=3&seed=4", ["'seed'", "each key once"]),
    ("repeated-lever", "lv=talent_recognition:0.5,talent_recognition:1", ["talent_recognition", "each lever once"]),
    ("lever-nan", "lv=talent_recognition:nan", ["talent_recognition", "nan"]),
    ("lever-arabic-digit", "lv=talent_recognition:%D9%A0", ["talent_recognition"]),
    ("unknown-key", "colour=red", ["'colour'", "one of the link's keys"]),
    ("pin-unknown-key", "pinA=" + PIN % ',"colour":"red"', ["'pinA.colour'", "unknown link key"]),
    ("pin-lever-as-string", "pinA=" + PIN % ',"levers":{"talent_recognition":"0.5"}',
     ["pinA.levers.talent_recognition", "'0.5'"]),
    ("pin-nan", "pinA=" + PIN.replace("[1]", "[NaN]") % "", ["'pinA'"]),
    ("pin-nested-deep", "pinA=" + "[" * 100000 + "]" * 100000, ["'link'", "at most"]),
    ("pin-nested-deep-short", "pinA=" + "[" * 5000 + "]" * 5000, ["'pinA'", "a pinned run"]),
    ("pin-huge-number", "pinA=" + PIN.replace("500", "9" * 5000) % "", ["'pinA'"]),
    ("pin-not-an-object", "pinA=[1,2]", ["'pinA'", "JSON object"]),
    ("megabytes", "scenario=baseline&q=" + "x" * 3_000_000, ["'link'", "49,152 characters"]),
    ("many-fields", "&".join(["seed=1"] + ["x"] * 500), ["'link'", "fields"]),
    ("not-utf8-escape", "scenario=%FF%FE", ["'link'", "UTF-8"]),
    ("quarter-newline", "q=2024Q3%0A", ["'q'", "quarter"]),
    ("quarter-arabic-digits", "q=%D9%A2%D9%A0%D9%A2%D9%A4Q3", ["'q'"]),
    ("zoom-too-far", "zoom=16,0.5,0.5", ["'zoom'", "from 1 to 8"]),
    ("zoom-centre-off-map", "zoom=2,1.5,0.5", ["'zoom'", "fractions from 0 to 1"]),
    ("zoom-arabic-digit", "zoom=2,%D9%A0.5,0.5", ["'zoom'"]),
    ("zoom-no-centre", "zoom=2", ["'zoom'", "zoom,x,y"]),
    # a key repeated inside a pin's JSON (json.loads keeps the last one), and saved runs' names by the save rule
    ("pin-repeated-key", "pinA=" + PIN % ',"scenario":"enclave"', ["'pinA.scenario'", "each key once"]),
    ("pin-repeated-lever", "pinA=" + PIN % ',"levers":{"talent_recognition":1,"talent_recognition":0}',
     ["talent_recognition", "each key once"]),
    ("run-repeated-name", "run=" + PIN.replace("{", '{"name":"a",', 1) % ',"name":"b"', ["'run.name'", "each key once"]),
    ("run-name-control", "run=" + PIN.replace("{", '{"name":"a\\u0000b",', 1) % "", ["'run.name'", "control"]),
    ("run-name-too-long", "run=" + PIN.replace("{", '{"name":"' + "n" * 50 + '",', 1) % "", ["'run.name'", "1 to 40"]),
]


@pytest.mark.parametrize("query, must", [c[1:] for c in LINKS], ids=[c[0] for c in LINKS])
def test_hostile_link_is_one_line_naming_the_key(query, must):
    """A crafted link is refused with one ConfigError line naming the key and what is allowed; no other exception
    (RecursionError, ValueError from a huge number, UnicodeDecodeError) escapes the parser."""
    from model.errors import ConfigError
    from ui import urlstate

    with pytest.raises(ConfigError) as exc:
        urlstate.decode(query)
    msg = str(exc.value)
    assert "\n" not in msg and len(msg) < 600 and "allowed" in msg, msg
    for m in must:
        assert m in msg, (m, msg)


def test_links_the_app_writes_still_read():
    """The strict parser reads every form encode writes: levers of each kind, pins with levers, view, the map's
    fill and zoom, and lang."""
    from ui import urlstate

    q = ('scenario=enclave&seed=7&scale=500&seeds=3&q=2021Q2&lv=licence_recognition:true,market_access_list:aligned,'
         'talent_recognition:0.25&pinA={"levers":{"talent_recognition":0.5},"scale":500,"scenario":"baseline",'
         '"seeds":[1,2]}&view=diff&map=gdp_share&zoom=4,0.52,0.61&lang=zh')
    st = urlstate.decode(q)
    assert (st["scenario"], st["seed"], st["scale"], st["seeds"], st["year"], st["quarter"]) == ("enclave", 7, 500, 3,
                                                                                               2021, 2)
    assert st["levers"] == {"licence_recognition": True, "market_access_list": "aligned", "talent_recognition": 0.25}
    assert st["pins"]["A"].levers == {"talent_recognition": 0.5} and st["view"] == "diff" and st["lang"] == "zh"
    assert st["map"] == "gdp_share" and st["zoom"] == "4,0.52,0.61"


@pytest.mark.app
def test_an_unforeseen_failure_in_the_app_is_the_banner_and_one_log_record(caplog):
    """What no check foresaw (here a RecursionError raised with a server path in its message) reaches the visitor
    as the one-line banner text, in the page's language, without the message or a path; the server log has it once,
    with its traceback."""
    import logging

    from ui.guard import view_failure

    for lang in ("en", "zh"):
        caplog.clear()
        try:
            raise RecursionError(f"maximum recursion depth exceeded in {ROOT / 'ui' / 'urlstate.py'}")
        except RecursionError as exc:
            with caplog.at_level(logging.ERROR, logger="czt_sim.app"):
                text = view_failure(lang, exc)
        assert "\n" not in text and str(ROOT) not in text and "Recursion" not in text and text.strip(), text
        records = [r for r in caplog.records if r.name == "czt_sim.app"]
        assert len(records) == 1 and records[0].exc_info is not None


# ---------------------------------------------------------------- a full disk (ENOSPC) mid-way through the results
def _enospc(path) -> OSError:
    import errno

    return OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))


def test_full_disk_in_run_keeps_the_earlier_run_and_leaves_nothing(ctx, tmp_path, monkeypatch, capsys):
    """The disk fills while run.json is written (after cities and flows): one line naming run.json and the
    reason, exit 2; a run into an earlier run's folder leaves that run's four files as they were, a run into a
    new folder leaves no folder, and no staging folder stays behind."""
    import experiments.io as io_mod
    from experiments.cli import main

    real = io_mod.atomic

    def cut(tmp):  # some bytes got out before the disk filled
        Path(tmp).write_bytes(b'{"scenario": {"na')
        raise _enospc(tmp)

    def full(path, write):
        return real(path, cut if Path(path).name == "run.json" else write)

    monkeypatch.setattr(io_mod, "atomic", full)
    earlier = tmp_path / "earlier"
    shutil.copytree(ctx["finished_run"], earlier)
    before = {f.name: f.read_bytes() for f in earlier.iterdir()}
    for out, seed in ((earlier, "2"), (tmp_path / "new" / "run", "1")):
        code = main(["run", "--until", "2019", "--scale", "50000", "--seed", seed, "--out", str(out)])
        err = capsys.readouterr().err.strip().splitlines()
        assert code == 2 and len(err) == 1 and err[0].startswith("error: "), err
        assert "No space left on device" in err[0] and str(out / "run.json") in err[0], err[0]
    assert {f.name: f.read_bytes() for f in earlier.iterdir()} == before
    assert not (tmp_path / "new").exists()


def test_full_disk_in_report_keeps_the_earlier_report(ctx, tmp_path, monkeypatch, capsys):
    """The disk fills at the third figure (and the PDF writer's clean-up fails again, as matplotlib's does): one
    line naming the figure's file and the reason, exit 2, nothing else on stderr; the earlier report in that folder
    is as it was, and a report into a new folder leaves no folder."""
    import matplotlib.figure
    from experiments.cli import main

    rep = tmp_path / "report"
    assert main(["report", ctx["finished_sweep"], "--out", str(rep)]) == 0
    capsys.readouterr()
    before = {f.relative_to(rep): f.read_bytes() for f in rep.rglob("*") if f.is_file()}
    real, calls = matplotlib.figure.Figure.savefig, []

    def full(self, fname, *a, **kw):
        calls.append(fname)
        if len(calls) == 3:  # as matplotlib's PDF writer fails on a full disk: its clean-up raises again
            Path(fname).write_bytes(b"%PDF-1.4 cut")
            try:
                raise _enospc(fname)
            except OSError:
                raise AttributeError("'Stream' object has no attribute 'pos'")  # noqa: B904 - as matplotlib does
        return real(self, fname, *a, **kw)

    monkeypatch.setattr(matplotlib.figure.Figure, "savefig", full)
    for out in (rep, tmp_path / "new" / "report"):
        calls.clear()
        code = main(["report", ctx["finished_sweep"], "--out", str(out)])
        err = capsys.readouterr().err.strip().splitlines()
        assert code == 2 and len(err) == 1 and "No space left on device" in err[0], err
        assert str(out / "fig_") in err[0] and ".pdf" in err[0], err[0]
    assert {f.relative_to(rep): f.read_bytes() for f in rep.rglob("*") if f.is_file()} == before
    assert not (tmp_path / "new").exists()


def test_government_regime_of_the_wrong_type_is_refused_in_python():
    """The Python API refuses a government_regime that is not one of its names (it acted as 'compete')."""
    from model import CZTModel
    from model.errors import ConfigError

    for bad in (1, None, ["compete"], True):
        with pytest.raises(ConfigError, match="government_regime.*fixed, compete, provincial"):
            CZTModel("baseline", seed=1, overrides={"government_regime": bad, "scale": 50000})


def test_scenario_of_the_wrong_type_is_refused_in_python():
    """The Python API refuses a scenario that is neither a name nor a path with one ConfigError line (3 and None
    were a TypeError from pathlib)."""
    from model import CZTModel
    from model.errors import ConfigError

    for bad in (3, None, b"baseline", ["baseline"]):
        with pytest.raises(ConfigError, match="scenario.*a scenario name .*baseline.* or a TOML path"):
            CZTModel(bad, seed=1, overrides={"scale": 50000})


def test_status_reads_a_folder_whose_lock_or_manifest_is_a_fifo(ctx, tmp_path, capsys):
    """A FIFO planted as .lock or manifest.jsonl: status answers at once (it waited forever for a writer)."""
    from experiments.cli import main

    for plant in (".lock", "manifest.jsonl"):
        d = tmp_path / plant.strip(".")
        shutil.copytree(ctx["finished_sweep"], d)
        (d / plant).unlink(missing_ok=True)
        os.mkfifo(d / plant)

        def hung(*_, plant=plant):
            raise TimeoutError(f"status waited 30 s on a FIFO {plant}")

        old = signal.signal(signal.SIGALRM, hung)
        signal.alarm(30)
        try:
            assert main(["status", str(d)]) == 0
        finally:
            signal.alarm(0)
            signal.signal(signal.SIGALRM, old)
        assert "1 ok" in capsys.readouterr().out


def test_a_file_saved_with_a_byte_order_mark_reads_as_without(tmp_path):
    """Scenario, sweep and calibration files go through read_toml: a UTF-8 byte-order mark first (what some Windows
    editors write) is dropped; it was "malformed TOML: Invalid statement (at line 1, column 1)", naming no cause."""
    from model.scenarios import read_toml

    text = sweep_text()
    (tmp_path / "bom.toml").write_bytes(b"\xef\xbb\xbf" + text.encode())
    (tmp_path / "plain.toml").write_text(text, encoding="utf-8")
    assert read_toml(tmp_path / "bom.toml", "sweep file") == read_toml(tmp_path / "plain.toml", "sweep file")


def test_table_is_large_and_ids_unique():
    assert len(CASES) >= 60
    assert len({c[0] for c in CASES}) == len(CASES)


def test_declared_annual_columns_match_a_real_run():
    """The sweep file's outputs are checked against model.recorder.annual_columns() before anything runs;
    that list must be what annual_frame() really has."""
    from model import CZTModel
    from model.recorder import annual_columns

    m = CZTModel("baseline", seed=1, overrides={"scale": 50000})
    m.run_until(2019)
    assert annual_columns() == list(m.annual_frame().columns)


# ---------------------------------------------------------------- the same table against another checkout
def _limit_memory() -> None:  # pragma: no cover
    """4 GB of address space per case: older code builds designs of billions of points (MemoryError then)."""
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (4 * 2**30, 4 * 2**30))


def _measure(root: Path) -> None:  # pragma: no cover - a tool, not a test
    import collections
    import tempfile

    tmp = Path(tempfile.mkdtemp(prefix="czt-hostile-"))
    ctx = build_fixtures(tmp, root)
    before = snapshot(ctx)
    outcomes: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    detail = []
    for name, family, args, must, *env in CASES:
        if any("{ro" in a for a in args) and "ro" not in ctx:
            continue
        new = tmp / "new" / name
        try:
            r = subprocess.run([sys.executable, "-m", "experiments", *fill(args, ctx, str(new))], cwd=root,
                               capture_output=True, text=True, errors="replace", timeout=120,
                               preexec_fn=_limit_memory,
                               env={**os.environ, **(env[0] if env else {})})
            code, err = r.returncode, r.stderr
        except subprocess.TimeoutExpired:
            code, err = None, "timeout"
        after = snapshot(ctx)
        lost, added = changes(before, after)
        before = after
        o = classify(code, err, fill(must, ctx), lost, _left(new), added) if err != "timeout" else "timeout"
        outcomes[family][o] += 1
        detail.append((name, o))
    for family, c in outcomes.items():
        print(f"{family:16s} " + ", ".join(f"{k}: {v}" for k, v in c.most_common()))
    for name, o in detail:
        if o != "ok":
            print(f"  {name}: {o}")
    for key in ("ro", "ro_sweep"):
        if key in ctx:
            make_writable(Path(ctx[key]))


if __name__ == "__main__":  # pragma: no cover
    _measure(Path(sys.argv[1]).resolve() if len(sys.argv) > 1 else ROOT)
