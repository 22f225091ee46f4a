"""Bad input: exit status 2, exactly one line on stderr starting with 'error:' that names the offending
field and value, no traceback, and no run written.

The cases the brief names (unknown parameter, value out of range, unknown scenario, malformed scenario
TOML, enclave whose host is its sponsor) and two more run through the real CLI in fresh interpreters
(launched together, to keep the suite fast). Further cases go through ``experiments.cli.main`` in-process
(same code path after interpreter start) and through the Python API, which must raise ConfigError.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from conftest import ROOT

MALFORMED = 'name = "broken"\n[params\nenclave_tax_share = 0.5\n'
SAME_CITY = 'name = "same-city"\nextends = "baseline"\n\n[[enclave]]\npark = "yushao_park"\nsponsor = "xiangtan"\n'
BAD_PARAM_IN_FILE = 'name = "bad-param"\nextends = "baseline"\n\n[params]\nhukou_portability = 7\n'
UNKNOWN_PARAM_IN_FILE = 'name = "bad-name"\n\n[params]\nno_such_lever = 1\n'
URBAN_ENCLAVE = 'name = "urban"\n\n[[enclave]]\npark = "changsha_urban"\nsponsor = "zhuzhou"\n'
UNKNOWN_PARK = 'name = "nopark"\n\n[[enclave]]\npark = "atlantis_park"\nsponsor = "zhuzhou"\n'
UNKNOWN_KEY = 'name = "typo"\nparmas = 3\n'
FILES = {"broken.toml": MALFORMED, "same.toml": SAME_CITY, "badp.toml": BAD_PARAM_IN_FILE,
         "badn.toml": UNKNOWN_PARAM_IN_FILE, "urban.toml": URBAN_ENCLAVE, "nopark.toml": UNKNOWN_PARK,
         "typo.toml": UNKNOWN_KEY}

# (id, CLI args after the valid defaults, strings the one error line must contain: field and value)
SUBPROCESS_CASES = [
    ("unknown-parameter", ["--set", "no_such_param=1"], ["no_such_param", "1"]),
    ("out-of-range", ["--set", "enclave_tax_share=1.5"], ["enclave_tax_share", "1.5"]),
    ("unknown-scenario", ["--scenario", "utopia"], ["scenario", "utopia"]),
    ("malformed-toml", ["--scenario", "{tmp}/broken.toml"], ["broken.toml", "TOML"]),
    ("enclave-host-is-sponsor", ["--scenario", "{tmp}/same.toml"], ["sponsor", "xiangtan"]),
    ("until-before-start", ["--until", "2010"], ["until", "2010"]),
    ("scale-too-coarse", ["--scale", "90000"], ["scale", "90000"]),
]

IN_PROCESS_CASES = [
    ("negative-out-of-range", ["--set", "commute_fare_yuan=-3"], ["commute_fare_yuan", "-3"]),
    ("not-a-number", ["--set", "talent_recognition=lots"], ["talent_recognition", "lots"]),
    ("nan", ["--set", "hukou_portability=nan"], ["hukou_portability", "nan"]),
    ("integer-param-fraction", ["--set", "job_offers_sampled=2.5"], ["job_offers_sampled", "2.5"]),
    ("set-without-equals", ["--set", "enclave_tax_share"], ["--set", "enclave_tax_share"]),
    ("missing-scenario-file", ["--scenario", "{tmp}/nope.toml"], ["nope.toml"]),
    ("param-out-of-range-in-file", ["--scenario", "{tmp}/badp.toml"], ["hukou_portability", "7"]),
    ("unknown-param-in-file", ["--scenario", "{tmp}/badn.toml"], ["no_such_lever"]),
    ("urban-area-as-enclave", ["--scenario", "{tmp}/urban.toml"], ["park", "changsha_urban"]),
    ("unknown-park", ["--scenario", "{tmp}/nopark.toml"], ["park", "atlantis_park"]),
    ("unknown-top-level-key", ["--scenario", "{tmp}/typo.toml"], ["parmas"]),
    ("scale-zero", ["--scale", "0"], ["scale", "0"]),
    ("seed-negative", ["--seed", "-4"], ["seed", "-4"]),
    ("start-year", ["--set", "start_year=2020"], ["start_year", "2020"]),
]


def _argv(tmp, args: list[str], out: str) -> list[str]:
    # valid defaults first: argparse keeps the last occurrence, so a case overrides them
    return ["run", "--until", "2019", "--scale", "2000", "--out", out] + [a.replace("{tmp}", str(tmp)) for a in args]


def _check_line(name: str, code: int, stderr: str, must: list[str]) -> None:
    assert code == 2, f"{name}: exit {code}; stderr: {stderr[-1500:]}"
    assert "Traceback" not in stderr, f"{name}: traceback on stderr:\n{stderr[-1500:]}"
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, f"{name}: {len(lines)} lines on stderr: {lines}"
    assert lines[0].startswith("error: "), lines[0]
    for token in must:
        assert token in lines[0], f"{name}: {token!r} not named in {lines[0]!r}"


@pytest.fixture(scope="module")
def tomls(tmp_path_factory):
    d = tmp_path_factory.mktemp("scenario_files")
    for fname, text in FILES.items():
        (d / fname).write_text(text, encoding="utf-8")
    return d


@pytest.fixture(scope="module")
def cli_results(tomls):
    """Every subprocess case launched at once; returns {id: (returncode, stderr, out folder)}."""
    procs = {}
    for name, args, _ in SUBPROCESS_CASES:
        out = tomls / f"out-{name}"
        procs[name] = (out, subprocess.Popen([sys.executable, "-m", "experiments", *_argv(tomls, args, str(out))],
                                             cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    res = {}
    for name, (out, p) in procs.items():
        _, err = p.communicate(timeout=300)
        res[name] = (p.returncode, err, out)
    return res


@pytest.mark.cli
@pytest.mark.parametrize("case", SUBPROCESS_CASES, ids=[c[0] for c in SUBPROCESS_CASES])
def test_cli_subprocess_bad_input(cli_results, case):
    name, _, must = case
    code, err, out = cli_results[name]
    _check_line(name, code, err, must)
    assert not (out / "run.json").exists(), f"{name}: a run was written despite the error"


@pytest.mark.smoke
@pytest.mark.parametrize("case", IN_PROCESS_CASES, ids=[c[0] for c in IN_PROCESS_CASES])
def test_cli_main_bad_input(tomls, capsys, case):
    from experiments.cli import main

    name, args, must = case
    out = tomls / f"out-{name}"
    code = main(_argv(tomls, args, str(out)))
    captured = capsys.readouterr()
    _check_line(name, code, captured.err, must)
    assert not (out / "run.json").exists()


@pytest.mark.parametrize("kwargs, field", [
    ({"overrides": {"enclave_tax_share": 2}}, "enclave_tax_share"),
    ({"overrides": {"bogus": 1}}, "bogus"),
    ({"seed": -1}, "seed"),
    ({"enclaves": [{"park": "yushao_park", "sponsor": "xiangtan"}]}, "sponsor"),
    ({"enclaves": [{"park": "nowhere_park", "sponsor": "changsha"}]}, "park"),
    ({"enclaves": [{"park": "yushao_park", "sponsor": "wuhan"}]}, "sponsor"),
], ids=["range", "unknown", "seed", "host-is-sponsor", "unknown-park", "unknown-sponsor"])
@pytest.mark.smoke
def test_api_bad_input_raises_config_error(kwargs, field):
    from model import ConfigError, CZTModel

    with pytest.raises(ConfigError) as info:
        CZTModel("baseline", **{"seed": 1, **kwargs})
    assert field in str(info.value)
    assert "\n" not in str(info.value)
