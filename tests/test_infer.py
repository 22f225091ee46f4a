"""python -m experiments infer (experiments/infer): the training set from a bank, the posterior predictive table,
the command's one-line errors, and — only where the optional sbi extra (.venv-sbi) exists — the neural step on a
problem with a known posterior. CI has no torch: the neural test skips there, the rest never needs it."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from conftest import run_cli
from experiments.calibrate import abc as abc_mod
from experiments.calibrate.moments import distance
from experiments.infer import ppc, trainset
from experiments.infer.report import posterior_table

ROOT = Path(__file__).resolve().parent.parent
SBI_PY = ROOT / ".venv-sbi" / "bin" / "python"

TINY_CALIBRATION = """name = "tiny"
scenario = "{scenario}"
until = 2020
scale = 2000
moments = "tests.calib_moments"
samples = 6
replications = 1
root_seed = 3
accept = 0.67
validation_replications = 1
[params]
jacobs_elasticity = {{min = 0.0, max = 0.12}}
location_logit_scale = {{min = 5, max = 60}}
"""

# Stands in for .venv-sbi's interpreter running npe_step.py (CI has no torch): the posterior is the prior box, drawn
# uniformly, and npe.json carries what the report reads. Like the real step it imports nothing of the project.
FAKE_NPE = """#!{python}
import json, sys
from pathlib import Path
import numpy as np, pandas as pd
trainset, out, *rest = sys.argv[2:]
opt = dict(zip(rest[::2], rest[1::2]))
d = np.load(trainset)
names = json.loads(Path(trainset).with_suffix(".json").read_text())["names"]
u = np.random.default_rng(int(opt["--seed"])).random((int(opt["--samples"]), len(names)))
Path(out).mkdir(parents=True, exist_ok=True)
pd.DataFrame(d["lo"] + (d["hi"] - d["lo"]) * u, columns=names).to_csv(Path(out) / "posterior_samples.csv", index=False)
(Path(out) / "npe.json").write_text(json.dumps({{"request": json.loads(opt["--request"]),
                                                "misspecification_mmd": {{"p_value": 0.5}}}}))
"""


def fake_sbi(folder: Path) -> Path:
    """A venv folder whose bin/python is :data:`FAKE_NPE` (for --sbi-venv)."""
    py = folder / "bin" / "python"
    py.parent.mkdir(parents=True)
    py.write_text(FAKE_NPE.format(python=sys.executable))
    py.chmod(0o755)
    return folder


def tiny_bank(folder: Path, scenario: str = "baseline") -> Path:
    """A bank as ``calibrate`` leaves it, without simulating anything: calibration.toml, its design sweep planned
    (spec.json, design.parquet), a consolidated cities.parquet with made-up 2020 GDP shares for every design run (the
    moments tests.calib_moments reads) and posterior.csv."""
    from experiments.calibrate import config
    from experiments.calibrate.pipeline import design_spec
    from experiments.io import write_parquet
    from experiments.sweep.runner import prepare

    folder.mkdir(parents=True)
    (folder / "calibration.toml").write_text(TINY_CALIBRATION.format(scenario=scenario))
    cs = config.read(str(folder / "calibration.toml"))
    design = prepare(folder / "sweep", spec=design_spec(cs)).design()
    rng = np.random.default_rng(0)
    rows = []
    for rid in design.run_id.unique():
        share = rng.dirichlet([60, 20, 15])
        rows += [{"run_id": rid, "year": 2020, "city": c, "gdp_share": float(v)}
                 for c, v in zip(("changsha", "zhuzhou", "xiangtan"), share)]
    write_parquet(pd.DataFrame(rows), folder / "sweep" / "cities.parquet")
    pd.DataFrame({"param": cs.names, "smm": [0.05, 30.0], "rejection_mean": [0.06, 32.0]}).to_csv(
        folder / "posterior.csv", index=False)
    return folder


def synthetic_bank(n_points=40, reps=2, seed=0):
    """3 parameters, 12 moments linear in θ plus seed noise; the 'record' is obs (z = 0)."""
    rng = np.random.default_rng(seed)
    lo, hi = np.array([0.0, 1.0, -1.0]), np.array([1.0, 3.0, 1.0])
    th_pts = lo + (hi - lo) * rng.random((n_points, 3))
    theta = np.repeat(th_pts, reps, axis=0)
    points = np.repeat(np.arange(n_points), reps)
    a = rng.normal(size=(3, 12))
    sim = theta @ a + 0.05 * rng.normal(size=(len(theta), 12))
    return theta, sim, points, lo, hi


def test_training_set_shapes_holdout_by_point_and_whitening():
    theta, sim, points, lo, hi = synthetic_bank()
    z = (sim - 0.3) / 0.5
    ts = trainset.build(theta, z, points, ["a", "b", "c"], lo, hi, [f"m|{i}" for i in range(12)], components=4,
                        holdout=0.25, seed=7)
    assert ts.x.shape == (80, 4) and ts.x_obs.shape == (4,) and ts.theta.shape == (80, 3)
    # whole design points are held out: both replications on the same side, a quarter of the points
    held = {p for p, t in zip(ts.point, ts.test) if t}
    kept = {p for p, t in zip(ts.point, ts.test) if not t}
    assert not held & kept and len(held) == 10
    # whitened on the training runs: mean 0 and sd 1 per component there
    tr = ~ts.test
    assert np.allclose(ts.x[tr].mean(0), 0, atol=1e-9) and np.allclose(ts.x[tr].std(0, ddof=1), 1, atol=1e-9)
    # 3 parameters drive the moments: 3 components hold nearly all the variance; the record (z = 0) projected
    assert ts.explained > 0.99
    assert np.allclose(ts.x_obs, ((0 - ts.mean) @ ts.basis.T) / ts.scale)
    assert ts.residual_obs >= 0 and (ts.residual_runs >= 0).all()
    # the same seed gives the same split; another seed another
    again = trainset.build(theta, z, points, ["a", "b", "c"], lo, hi, [], 4, 0.25, 7)
    assert (again.test == ts.test).all()
    other = trainset.build(theta, z, points, ["a", "b", "c"], lo, hi, [], 4, 0.25, 8)
    assert (other.test != ts.test).any()


def test_standardised_like_the_abc():
    """x starts from the ABC's standardisation: (sim - obs) / sd over the fit moments, in obs order."""
    obs = pd.DataFrame({"moment": ["g", "g", "h", "g"], "year": [2006, 2007, 2006, 2019],
                        "value": [0.5, 0.6, 10.0, 0.7], "sd": [0.01, 0.01, 2.0, 0.01],
                        "split": ["fit", "fit", "fit", "holdout"]})
    sim = np.array([[0.52, 0.58, 14.0, 0.9], [0.5, 0.6, 10.0, 0.0]])
    z, names = trainset.standardised(sim, obs)
    assert names == ["g|2006", "g|2007", "h|2006"]
    assert np.allclose(z, [[2.0, -2.0, 2.0], [0.0, 0.0, 0.0]])
    fit = (obs.split == "fit").to_numpy()
    # the ABC's distance of a run is the RMS of exactly these z
    assert np.allclose(np.sqrt((z**2).mean(1)), distance(sim[:, fit], obs.value.to_numpy()[fit], obs.sd.to_numpy()[fit]))


def test_from_bank_keeps_the_prior_order(monkeypatch):
    """θ's columns follow the calibration file's priors, whatever order the design table holds them in."""
    theta, sim, points, lo, hi = synthetic_bank(n_points=20)
    names = ["b_second", "a_first", "c_third"]  # prior order, not alphabetical
    runs = pd.DataFrame({"c_third": theta[:, 2], "a_first": theta[:, 1], "b_second": theta[:, 0], "point": points})
    obs = pd.DataFrame({"moment": [f"m{i}" for i in range(12)], "year": 2010, "value": 0.0, "sd": 1.0, "split": "fit"})
    spec = SimpleNamespace(names=names, priors=[SimpleNamespace(lo=l, hi=h) for l, h in zip(lo, hi)])
    bank = {"spec": spec, "obs": obs, "sim": pd.DataFrame(sim), "runs": runs, "digest": "d", "scenario": "s",
            "until": 2020, "scale": 200}
    monkeypatch.setattr(trainset, "read_bank", lambda folder: bank)
    ts, _ = trainset.from_bank(Path("unused"), components=3, holdout=0.2, seed=1)
    assert ts.names == names
    assert np.allclose(ts.theta, theta) and np.allclose(ts.lo, lo) and np.allclose(ts.hi, hi)
    assert np.allclose(ts.z, sim)  # obs at 0 with sd 1: z is the simulation itself


def test_save_marks_the_step_done_last(tmp_path):
    theta, sim, points, lo, hi = synthetic_bank(n_points=10)
    ts = trainset.build(theta, sim, points, ["a", "b", "c"], lo, hi, [], 3, 0.2, 1)
    meta = trainset.save(ts, tmp_path, {"key": {"k": 1}})
    import hashlib

    assert meta["sha256"] == hashlib.sha256((tmp_path / "trainset.npz").read_bytes()).hexdigest()
    assert json.loads((tmp_path / "trainset.json").read_text())["key"] == {"k": 1}
    d = np.load(tmp_path / "trainset.npz")
    assert d["x"].shape == (20, 3) and d["test"].dtype == bool
    assert not list(tmp_path.glob(".*.tmp"))  # nothing half-written left behind


def test_ppc_table_on_synthetic_draws():
    obs = pd.DataFrame({"moment": ["s", "s", "s", "t"], "year": [2006, 2007, 2019, 2018],
                        "value": [0.0, 5.0, -5.0, 1.0], "sd": [1.0, 1.0, 1.0, 0.5],
                        "split": ["fit", "fit", "holdout", "fit"]})
    rng = np.random.default_rng(3)
    sim = rng.normal(size=(400, 4))
    t = ppc.table(obs, sim)
    assert list(t.moment) == ["s", "s", "s", "t"] and (t.runs == 400).all()
    assert np.allclose(t["lo"], np.quantile(sim, 0.05, axis=0)) and np.allclose(t["hi"], np.quantile(sim, 0.95, axis=0))
    assert t.inside.tolist() == [True, False, False, True]
    assert t.record_quantile[1] == 1.0 and t.record_quantile[2] == 0.0  # above every run, below every run
    assert abs(t.record_quantile[0] - 0.5) < 0.08
    assert t.signed_error[1] < -4 and t.signed_error[2] > 4  # predictive median minus the record
    assert np.isclose(t.signed_error_sd[3], (np.median(sim[:, 3]) - 1.0) / 0.5)
    s = ppc.summary(t).set_index(["moment", "split"])
    assert s.loc[("s", "fit"), "years"] == 2 and s.loc[("s", "fit"), "share_inside"] == 0.5
    assert s.loc[("s", "fit"), "share_record_above"] == 0.5 and s.loc[("s", "holdout"), "share_record_below"] == 1.0
    with pytest.raises(ValueError):
        ppc.table(obs, sim[:, :3])


def test_ppc_runs_are_a_points_sweep_with_fresh_seeds():
    """The predictive runs are the points of a sweep: one per draw with its own seed, values rounded as a run takes
    them, the scale on top; the plan (run ids) is stable and the spec reads back as its folder records it."""
    from experiments.sweep.design import plan
    from experiments.sweep.spec import SweepSpec

    draws = pd.DataFrame({"tfp_growth": [0.0212345678, 0.03], "gdp_weight": [0.9, 0.8]})
    s = ppc.seeds(5, 2)
    assert len(set(s)) == 2 and ppc.seeds(5, 2) == s and ppc.seeds(6, 2) != s and ppc.seeds(5, 1) == s[:1]
    spec = ppc.sweep_spec(draws, s, "hindcast-2005", 2020, 200, [0.0, 0.3], [0.06, 1.0])
    design = plan(spec)
    assert list(design.seed) == s and (design.rep == 0).all() and spec.until == 2020
    assert json.loads(design.overrides[0]) == {"scale": 200, "tfp_growth": 0.0212346, "gdp_weight": 0.9}
    assert design.run_id.nunique() == 2 and list(plan(spec).run_id) == list(design.run_id)
    assert SweepSpec.from_dict(spec.to_dict()).digest() == spec.digest()
    other = ppc.sweep_spec(draws, ppc.seeds(6, 2), "hindcast-2005", 2020, 200, [0.0, 0.3], [0.06, 1.0])
    assert ppc.sweep_folder(Path("f"), other) != ppc.sweep_folder(Path("f"), spec)  # other seeds: another folder


def test_posterior_table_flags_a_bound():
    rng = np.random.default_rng(0)
    samples = pd.DataFrame({"p": rng.uniform(0.9, 1.0, 2000), "q": rng.uniform(0.2, 0.8, 2000)})
    cal = pd.DataFrame({"param": ["p", "q"], "smm": [0.99, 0.5], "rejection_mean": [0.8, 0.4]})
    t = posterior_table(samples, np.array([0.0, 0.0]), np.array([1.0, 1.0]), cal).set_index("param")
    assert t.piles_at_bound["p"] == "upper" and t.piles_at_bound["q"] == ""
    assert t.smm["p"] == 0.99 and t.abc_rejection_mean["q"] == 0.4
    assert t.npe_q05["q"] < t.npe_median["q"] < t.npe_q95["q"]


def test_neural_step_imports_nothing_of_the_project():
    """It runs in .venv-sbi, which has no model: its imports are the standard library, numpy, pandas, torch, sbi."""
    tree = ast.parse((ROOT / "experiments" / "infer" / "npe_step.py").read_text())
    mods = {n.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import) for n in node.names}
    mods |= {node.module.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
    assert mods <= {"__future__", "argparse", "json", "os", "sys", "tempfile", "time", "pathlib", "numpy", "pandas",
                    "torch", "sbi"}, mods


@pytest.mark.cli
def test_cli_one_line_errors(tmp_path):
    r = run_cli("infer", str(tmp_path / "nothing"), "--out", str(tmp_path / "o"))
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "'BANK'" in r.stderr and "calibration" in r.stderr
    bank = tmp_path / "bank"
    (bank / "sweep").mkdir(parents=True)
    (bank / "calibration.toml").write_text("")
    (bank / "sweep" / "cities.parquet").write_bytes(b"")
    r = run_cli("infer", str(bank), "--out", str(tmp_path / "o"), "--components", "0")
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "'--components': 0" in r.stderr
    r = run_cli("infer", str(bank), "--out", str(tmp_path / "o"), "--holdout", "0.9")
    assert r.returncode == 2 and "'--holdout': 0.9" in r.stderr
    r = run_cli("infer", str(bank), "--out", str(tmp_path / "o"), "--sbi-venv", str(tmp_path / "no-venv"))
    assert r.returncode == 2 and r.stderr.count("\n") == 1
    assert "sbi extra not installed" in r.stderr and "bash scripts/setup-sbi.sh" in r.stderr
    assert "Traceback" not in r.stderr and not (tmp_path / "o").exists()  # nothing ran


@pytest.mark.cli
@pytest.mark.sim  # a statistical procedure on random draws (torch's, seeded)
@pytest.mark.skipif(not SBI_PY.is_file(), reason="the optional sbi extra (.venv-sbi) is not installed: "
                    "bash scripts/setup-sbi.sh")
def test_neural_step_covers_a_known_gaussian_posterior(tmp_path):
    """θ ~ U(-3, 3)², x = θ + N(0, 0.3²): the posterior at x_o is about N(x_o, 0.3²) (the box barely cuts it)."""
    rng = np.random.default_rng(11)
    n, sig = 1500, 0.3
    lo, hi = np.array([-3.0, -3.0]), np.array([3.0, 3.0])
    theta = rng.uniform(lo, hi, size=(n, 2))
    x = theta + sig * rng.normal(size=(n, 2))
    truth = np.array([0.5, -1.0])
    x_obs = truth + sig * rng.normal(size=2)
    test = np.zeros(n, bool)
    test[-150:] = True
    np.savez(tmp_path / "trainset.npz", theta=theta, x=x, x_obs=x_obs, test=test, point=np.arange(n), lo=lo, hi=hi)
    (tmp_path / "trainset.json").write_text(json.dumps({"names": ["a", "b"]}))
    r = subprocess.run([str(SBI_PY), str(ROOT / "experiments" / "infer" / "npe_step.py"), str(tmp_path / "trainset.npz"),
                        str(tmp_path / "npe"), "--seed", "3", "--samples", "4000", "--sbc-samples", "200"],
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-2000:]
    s = pd.read_csv(tmp_path / "npe" / "posterior_samples.csv")
    q05, q50, q95 = np.quantile(s.to_numpy(), [0.05, 0.5, 0.95], axis=0)
    assert ((q05 <= truth) & (truth <= q95)).all()
    assert np.all(np.abs(q50 - x_obs) < 0.15)  # centred on the analytic posterior's mean
    assert np.all((q95 - q05 > 0.6) & (q95 - q05 < 1.5))  # analytic: 2 x 1.645 x 0.3 = 0.99
    cov = pd.read_csv(tmp_path / "npe" / "coverage.csv")
    c90 = cov[cov.level == 0.9].coverage
    assert (c90 > 0.78).all() and (c90 < 0.99).all()
    info = json.loads((tmp_path / "npe" / "npe.json").read_text())
    assert info["misspecification_mmd"]["p_value"] > 0.01  # the observation is a draw of this simulator
    assert set(info["sbc"]["ks_pvals"]) == {"a", "b"}


DAMAGE = {"zero bytes": b"", "not the format": bytes(range(256)) * 8}


@pytest.mark.cli
@pytest.mark.parametrize("name", ["sweep/cities.parquet", "sweep/spec.json", "sweep/design.parquet", "posterior.csv",
                                  "calibration.toml"])
@pytest.mark.parametrize("damage", list(DAMAGE))
def test_a_damaged_bank_file_is_one_line_before_anything_runs(tmp_path, name, damage):
    """Every file infer reads from the bank, empty or overwritten: one error line naming the file, exit status 2, no
    traceback, no output folder (the whole bank is checked before the first step)."""
    bank = tiny_bank(tmp_path / "bank")
    sbi = fake_sbi(tmp_path / "sbi")
    (bank / name).write_bytes(DAMAGE[damage])
    r = run_cli("infer", str(bank), "--out", str(tmp_path / "o"), "--sbi-venv", str(sbi), "--components", "1",
                "--samples", "1000", "--draws", "0")
    assert r.returncode == 2 and "Traceback" not in r.stderr, r.stderr[-2000:]
    assert r.stderr.count("\n") == 1 and r.stderr.startswith("error:") and Path(name).name in r.stderr, r.stderr
    assert not (tmp_path / "o").exists()


@pytest.mark.cli
def test_posterior_csv_of_another_calibration_is_refused(tmp_path):
    bank = tiny_bank(tmp_path / "bank")
    pd.DataFrame({"param": ["tfp_growth"], "smm": [0.02], "rejection_mean": [0.02]}).to_csv(bank / "posterior.csv",
                                                                                             index=False)
    r = run_cli("infer", str(bank), "--out", str(tmp_path / "o"), "--sbi-venv", str(fake_sbi(tmp_path / "sbi")),
                "--components", "1", "--samples", "1000", "--draws", "0")
    assert r.returncode == 2 and r.stderr.count("\n") == 1, r.stderr[-2000:]
    assert "posterior.csv" in r.stderr and "tfp_growth" in r.stderr and "jacobs_elasticity" in r.stderr


@pytest.mark.cli
def test_infer_on_an_intact_tiny_bank_without_predictive_runs(tmp_path):
    """The fixtures above make a bank infer accepts: the same command without damage finishes (exit 0)."""
    bank = tiny_bank(tmp_path / "bank")
    r = run_cli("infer", str(bank), "--out", str(tmp_path / "o"), "--sbi-venv", str(fake_sbi(tmp_path / "sbi")),
                "--components", "1", "--samples", "1000", "--draws", "0")
    assert r.returncode == 0, r.stderr[-2000:]
    t = pd.read_csv(tmp_path / "o" / "posterior_table.csv").set_index("param")
    assert t.smm["jacobs_elasticity"] == 0.05 and t.abc_rejection_mean["location_logit_scale"] == 32.0


def infer_cli(bank: Path, out: Path, sbi: Path, draws: int, env: dict[str, str] | None = None):
    return run_cli("infer", str(bank), "--out", str(out), "--sbi-venv", str(sbi), "--components", "1",
                   "--samples", "1000", "--draws", str(draws), "--workers", "2", env=env, timeout=600)


def ok_events(folder: Path) -> int:
    return sum(json.loads(x)["event"] == "ok" for p in folder.glob("ppc/sweep-*/manifest.jsonl")
               for x in p.read_text().splitlines())


FAIL_SECOND_DRAW = "def hook(task):\n    if task['point'] == 1:\n        raise RuntimeError('made to fail')\n"


@pytest.mark.cli
@pytest.mark.sim  # the predictive runs simulate (in the processes the command starts)
@pytest.mark.plumbing  # resume and failure bookkeeping; the tables are compared only with themselves
def test_ppc_runs_through_the_sweep_runner_and_resumes(tmp_path):
    """The predictive runs are a sweep in the output folder: a run that failed is recorded and the command exits 1;
    the next call runs only that one (the finished run is kept, not redone), and a third call runs nothing and
    writes the same tables."""
    from experiments.sweep.store import Store

    bank, out, sbi = tiny_bank(tmp_path / "bank"), tmp_path / "o", fake_sbi(tmp_path / "sbi")
    (tmp_path / "fail.py").write_text(FAIL_SECOND_DRAW)
    r = infer_cli(bank, out, sbi, 2, env={"CZT_SWEEP_HOOK": f"{tmp_path / 'fail.py'}:hook"})
    assert r.returncode == 1 and "Traceback" not in r.stderr, r.stderr[-2000:]
    (folder,) = out.glob("ppc/sweep-*")
    store = Store(folder)
    assert store.spec().design == "points" and len(store.spec().points) == 2
    runs = pd.read_parquet(folder / "runs.parquet").set_index("first_point").sort_index()
    assert runs.status.tolist() == ["ok", "failed"] and "made to fail" in runs.error[1]
    info = json.loads((out / "infer.json").read_text())["ppc"]
    assert info["ok_runs"] == 1 and info["failed"][0]["run_id"] == runs.run_id[1] and info["simulated_now"] == 2
    assert ok_events(out) == 1

    r = infer_cli(bank, out, sbi, 2)
    assert r.returncode == 0, r.stderr[-2000:]
    assert ok_events(out) == 2  # only the failed run ran again
    info = json.loads((out / "infer.json").read_text())["ppc"]
    assert info["simulated_now"] == 1 and info["ok_runs"] == 2 and not info["failed"]
    draws = pd.read_csv(out / "ppc" / "draws.csv")
    design = store.design().sort_values("point")
    assert draws.run_id.tolist() == design.run_id.tolist() and draws.seed.tolist() == ppc.seeds(20260126, 2)
    assert draws.seed.tolist() == design.seed.tolist()
    first = (out / "ppc.csv").read_bytes()
    assert pd.read_csv(out / "ppc.csv").runs.eq(2).all()

    r = infer_cli(bank, out, sbi, 2)
    assert r.returncode == 0 and ok_events(out) == 2, r.stderr[-2000:]  # nothing redone
    assert (out / "ppc.csv").read_bytes() == first
    assert json.loads((out / "infer.json").read_text())["ppc"]["simulated_now"] == 0


SCENARIO = 'name = "ppc-check"\nextends = "baseline"\n\n[params]\ncommute_fare_yuan = {fare}\njacobs_elasticity = {jacobs}\n'


@pytest.mark.cli
def test_ppc_refuses_when_the_banks_scenario_changed(tmp_path):
    """The bank records its scenario's resolved parameters; a scenario file changed since is refused in one line
    naming the parameter (bank -> now) before any step runs. A change to a fitted parameter (every draw sets it)
    is no difference, and --draws 0 needs no check."""
    sc = tmp_path / "sc.toml"
    sc.write_text(SCENARIO.format(fare=20.0, jacobs=0.05))
    bank, sbi = tiny_bank(tmp_path / "bank", scenario=str(sc)), fake_sbi(tmp_path / "sbi")
    rec = json.loads((bank / "sweep" / "spec.json").read_text())["scenario_params"][str(sc)]
    assert rec["commute_fare_yuan"] == 20.0 and rec["scale"] == 2000
    sc.write_text(SCENARIO.format(fare=25.0, jacobs=0.05))
    r = infer_cli(bank, tmp_path / "o", sbi, 2)
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "Traceback" not in r.stderr, r.stderr[-2000:]
    assert "commute_fare_yuan 20.0 -> 25.0" in r.stderr and "--draws 0" in r.stderr and "calibrate" in r.stderr
    assert not (tmp_path / "o").exists()  # refused before any step
    r = infer_cli(bank, tmp_path / "o", sbi, 0)
    assert r.returncode == 0, r.stderr[-2000:]
    sc.write_text(SCENARIO.format(fare=20.0, jacobs=0.09))  # a fitted parameter: the draws set it
    from experiments.infer.cli import scenario_check
    from experiments.calibrate import config

    assert scenario_check(bank, config.read(str(bank / "calibration.toml"))) is None


@pytest.mark.cli
@pytest.mark.sim  # one predictive run simulates (in the processes the command starts)
@pytest.mark.plumbing  # the warning and the record, not the run's values
def test_ppc_on_a_bank_without_the_record_warns_and_runs(tmp_path):
    """A bank made before the record (no scenario_params in sweep/spec.json) still works: a warning says the check
    was not possible, infer.json says so, and the predictive check runs."""
    bank, out = tiny_bank(tmp_path / "bank"), tmp_path / "o"
    spec_json = bank / "sweep" / "spec.json"
    info = json.loads(spec_json.read_text())
    del info["scenario_params"]
    spec_json.write_text(json.dumps(info))
    r = infer_cli(bank, out, fake_sbi(tmp_path / "sbi"), 1)
    assert r.returncode == 0, r.stderr[-2000:]
    warning = [ln for ln in r.stderr.splitlines() if ln.startswith("warning:")]
    assert len(warning) == 1 and "does not record the resolved parameters" in warning[0] and "'baseline'" in warning[0]
    ppc_info = json.loads((out / "infer.json").read_text())["ppc"]
    assert ppc_info["scenario_check"] == "not recorded in the bank" and ppc_info["ok_runs"] == 1
