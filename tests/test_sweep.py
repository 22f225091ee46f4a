"""Sweep runner: planning, local processes, Dask over loopback, identical results everywhere, CLI errors."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pyarrow.dataset as ds
import pytest

from experiments.cli import main
from experiments.sweep import spec as spec_mod
from experiments.sweep.design import plan
from experiments.sweep.runner import run
from experiments.sweep.store import read_provenance
from model.errors import ConfigError

SMALL = """
name = "t"
scenario = "baseline"
design = "factorial"
replications = 2
until = 2020
scale = 50000
root_seed = 7
retries = {retries}
outputs = ["gdp_100m_yuan", "gdp_share", "population_10k", "talent_10k", "firms"]
[params]
enclave_tax_share = [0.0, 0.5]
talent_recognition = {{ min = 0.0, max = 1.0, levels = 2 }}
"""


def write(tmp: Path, text: str = SMALL, name: str = "s.toml", **kw) -> Path:
    p = tmp / name
    p.write_text(text.format(**{"retries": 1, **kw}))
    return p


def table(out: Path, name: str) -> pd.DataFrame:
    return pd.read_parquet(out / f"{name}.parquet")


def sorted_cities(out: Path) -> pd.DataFrame:
    return table(out, "cities").sort_values(["run_id", "year", "city"]).reset_index(drop=True)


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> Path:
    """The small sweep run sequentially in this process: the reference results."""
    tmp = tmp_path_factory.mktemp("seq")
    r = run(tmp / "out", spec_path=write(tmp), workers=0, progress=False)
    assert r["ok"] == 8 and r["failed"] == 0
    return tmp / "out"


@pytest.mark.smoke
def test_plan_seeds_ids_and_order():
    sp = spec_mod.parse(spec_mod.tomllib.loads(SMALL.format(retries=1)))
    d = plan(sp)
    assert len(d) == 8 and d.run_id.nunique() == 8
    assert sorted(d.order) == list(range(8))
    # common random numbers: replicate r has the same seed at every point, different across replicates
    assert d.groupby("rep").seed.nunique().eq(1).all() and d.seed.nunique() == 2
    assert plan(sp).equals(d)  # deterministic
    # interleaved: the first pass (order < 4) visits every point once
    assert sorted(d[d.order < 4].point) == [0, 1, 2, 3]
    sp.replications = 3
    d3 = plan(sp)
    assert set(d.run_id) <= set(d3.run_id)  # content ids: adding replications keeps the old runs


def test_samplers_lhs_sobol_morris():
    base = dict(name="x", scenario="baseline", until=2020, scale=50000, root_seed=3,
                params={"enclave_tax_share": {"min": 0.0, "max": 1.0}, "job_offers_sampled": {"min": 1, "max": 8},
                        "green_heart_ban": [0.0, 1.0]})
    lhs = plan(spec_mod.parse({**base, "design": "lhs", "samples": 10}))
    assert lhs.point.nunique() == 10 and lhs.enclave_tax_share.between(0, 1).all()
    assert lhs.job_offers_sampled.isin(range(1, 9)).all() and set(lhs.green_heart_ban) == {0.0, 1.0}
    sob = plan(spec_mod.parse({**base, "design": "sobol", "samples": 8}))
    assert sob.point.nunique() == 8 * (3 + 2)
    mor = plan(spec_mod.parse({**base, "design": "morris", "samples": 4}))
    assert mor.point.nunique() == 4 * (3 + 1)
    assert mor.run_id.nunique() <= mor.point.nunique()  # shared trajectory points run once


POINTS = """
name = "given points"
scenario = "baseline"
design = "points"
until = 2020
[params]
enclave_tax_share = {min = 0.0, max = 1.0}
job_offers_sampled = {min = 1, max = 8}
[[points]]
seed = 11
values = {enclave_tax_share = 0.25, job_offers_sampled = 3}
[[points]]
seed = 12
values = {enclave_tax_share = 0.5, job_offers_sampled = 3}
"""


def test_points_design_runs_the_points_given_with_their_seeds():
    """Design "points" (runs chosen elsewhere, e.g. posterior draws): one run per point with the point's seed and
    values; the spec reads back from its recorded form with the same digest, and specs without points keep theirs."""
    sp = spec_mod.parse(spec_mod.tomllib.loads(POINTS))
    d = plan(sp).sort_values("point")
    assert d.seed.tolist() == [11, 12] and d.enclave_tax_share.tolist() == [0.25, 0.5] and (d.rep == 0).all()
    assert d.run_id.nunique() == 2 and json.loads(d.overrides.iloc[1]) == {"enclave_tax_share": 0.5,
                                                                         "job_offers_sampled": 3}
    again = spec_mod.SweepSpec.from_dict(json.loads(json.dumps(sp.to_dict())))
    assert again.points == sp.points and again.digest() == sp.digest()
    small = spec_mod.parse(spec_mod.tomllib.loads(SMALL.format(retries=1))).to_dict()
    assert small["points"] == []  # a spec.json written before points existed has the same digest as now
    assert spec_mod.digest_of(small) == spec_mod.digest_of({k: v for k, v in small.items() if k != "points"})


@pytest.mark.parametrize("old,new,field", [
    ("seed = 12", "seed = -1", "points[1].seed"),
    ("enclave_tax_share = 0.5,", "enclave_tax_share = 1.5,", "points[1].values.enclave_tax_share"),
    ("job_offers_sampled = 3}", "job_offers_sampled = true}", "points[0].values.job_offers_sampled"),
    ("{enclave_tax_share = 0.5, job_offers_sampled = 3}", "{enclave_tax_share = 0.5}", "points[1].values"),
    ("until = 2020", "until = 2020\nreplications = 2", "replications"),
    ('design = "points"', 'design = "factorial"', "points"),
])
def test_points_design_mistakes_are_one_line(old, new, field):
    with pytest.raises(ConfigError) as exc:
        spec_mod.parse(spec_mod.tomllib.loads(POINTS.replace(old, new, 1)))
    assert field in str(exc.value) and "\n" not in str(exc.value)


@pytest.mark.parametrize("text,field", [
    ('design = "grid"\n[params]\nenclave_tax_share = [0.1]', "design"),
    ("[params]\nno_such_param = [1]", "no_such_param"),
    ("[params]\nenclave_tax_share = [0.1, 7]", "enclave_tax_share"),
    ("[params]\nenclave_tax_share = {min = 0, max = 1}", "levels"),
    ('design = "sobol"\nsamples = 10\n[params]\nenclave_tax_share = {min = 0, max = 1}', "samples"),
    ('scenario = "nowhere"\n[params]\nenclave_tax_share = [0.1]', "scenario"),
    ("bogus = 1\n[params]\nenclave_tax_share = [0.1]", "bogus"),
    ('outputs = "gdp"\n[params]\nenclave_tax_share = [0.1]', "outputs"),
])
@pytest.mark.smoke
def test_user_mistakes_exit_2_before_anything_runs(tmp_path, capsys, text, field):
    f = tmp_path / "bad.toml"
    f.write_text(text)
    out = tmp_path / "out"
    assert main(["sweep", str(f), "--out", str(out), "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and field in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert not out.exists()
    with pytest.raises(ConfigError):
        spec_mod.read(f)


def test_cli_errors_for_folders(tmp_path, capsys):
    assert main(["status", str(tmp_path / "none")]) == 2
    assert main(["resume", str(tmp_path / "none"), "--no-progress"]) == 2
    assert main(["analyze", str(tmp_path / "none")]) == 2
    assert main(["sweep", str(tmp_path / "missing.toml"), "--out", str(tmp_path / "o")]) == 2
    assert main(["sweep", str(write(tmp_path)), "--out", str(tmp_path / "o"), "--workers", "-1"]) == 2
    err = capsys.readouterr().err
    assert all(line.startswith("error: ") for line in err.strip().splitlines())


@pytest.mark.smoke
@pytest.mark.sim
def test_local_processes_identical_to_sequential(tmp_path, reference):
    out = tmp_path / "par"
    r = run(out, spec_path=write(tmp_path), workers=2, progress=False)
    assert (r["ok"], r["failed"], r["pending"]) == (8, 0, 0)
    runs = table(out, "runs")
    assert len(runs) == 8 and (runs.status == "ok").all() and runs.pid.nunique() == 2  # both workers ran
    assert {"seed", "enclave_tax_share", "talent_recognition", "wall_seconds", "error", "core_gdp_share_last"} <= set(runs)
    cities = sorted_cities(out)
    assert len(cities) == 8 * 2 * 3 and not cities.duplicated(["run_id", "year", "city"]).any()
    assert list(cities.columns) == ["run_id", "year", "city", "gdp_100m_yuan", "gdp_share", "population_10k",
                                    "talent_10k", "firms"]
    pd.testing.assert_frame_equal(cities, sorted_cities(reference))
    ref_runs = table(reference, "runs").set_index("run_id").sort_index()
    got = runs.set_index("run_id").sort_index()
    pd.testing.assert_frame_equal(got[["seed", "core_gdp_share_last", "theta"]], ref_runs[["seed", "core_gdp_share_last", "theta"]])
    # tidy and readable by other tools: provenance in metadata, parts readable as one dataset
    prov = read_provenance(out / "cities.parquet")
    assert prov["czt_sim.sweep"] == "t" and json.loads(prov["czt_sim.spec"])["root_seed"] == 7
    assert "czt_sim.code_version" in read_provenance(out / "parts" / "runs" / f"{runs.run_id[0]}.parquet")
    assert ds.dataset(str(out / "parts" / "cities"), format="parquet").count_rows() == 48
    assert not list(out.rglob("*.tmp"))


@pytest.mark.sim
def test_dask_local_cluster_over_loopback_identical(tmp_path, reference):
    from dask.distributed import LocalCluster

    with LocalCluster(n_workers=1, threads_per_worker=2, processes=False, protocol="tcp://", host="127.0.0.1",
                      dashboard_address=None) as cluster:
        addr = cluster.scheduler_address
        assert addr.startswith("tcp://127.0.0.1:")
        r = run(tmp_path / "dask", spec_path=write(tmp_path), dask=addr, progress=False)
    assert (r["ok"], r["failed"]) == (8, 0) and "Dask" in r["executor"]
    pd.testing.assert_frame_equal(sorted_cities(tmp_path / "dask"), sorted_cities(reference))


@pytest.mark.sim
def test_rerun_same_sweep_runs_nothing_and_other_sweep_refused(tmp_path, reference, capsys):
    src = reference.parent / "s.toml"
    before = table(reference, "runs")
    assert main(["sweep", str(src), "--out", str(reference), "--workers", "0", "--no-progress"]) == 0
    assert main(["resume", str(reference), "--no-progress"]) == 0
    assert "nothing to do" in capsys.readouterr().out
    pd.testing.assert_frame_equal(table(reference, "runs"), before)
    other = write(tmp_path, SMALL.replace("root_seed = 7", "root_seed = 8"), "o.toml")
    assert main(["sweep", str(other), "--out", str(reference), "--no-progress"]) == 2
    assert "different sweep" in capsys.readouterr().err
    assert main(["status", str(reference)]) == 0
    assert "8 ok, 0 failed, 0 pending" in capsys.readouterr().out


def test_shipped_sweep_files():
    from model.params import PARAMS

    smoke = spec_mod.read(Path(__file__).resolve().parents[1] / "experiments" / "sweeps" / "smoke.toml")
    d = plan(smoke)
    assert 4 <= d.run_id.nunique() <= 12 and smoke.until == 2021 and smoke.scale == 2000
    levers = spec_mod.read(Path(__file__).resolve().parents[1] / "experiments" / "sweeps" / "levers.toml")
    assert {f.name for f in levers.factors} == {p.name for p in PARAMS if p.lever}  # every policy lever
    assert levers.replications >= 2
    d = plan(levers)
    assert d.point.nunique() == levers.samples * (len(levers.factors) + 1)


def test_all_levers_adds_unlisted_levers():
    from model.params import PARAMS

    sp = spec_mod.parse({"design": "lhs", "samples": 4, "all_levers": True, "params": {"talent_recognition": [0.0, 1.0]},
                         "fixed": {"green_heart_ban": 0.5}})
    names = [f.name for f in sp.factors]
    assert names[0] == "talent_recognition" and sp.factors[0].levels == [0.0, 1.0]
    assert set(names) == {p.name for p in PARAMS if p.lever} - {"green_heart_ban"}


def test_bad_dask_address_exit_2(tmp_path, capsys):
    assert main(["sweep", str(write(tmp_path)), "--out", str(tmp_path / "o"), "--dask", "nonsense"]) == 2
    assert "--dask" in capsys.readouterr().err and not (tmp_path / "o").exists()


@pytest.mark.sim
def test_tables_readable_by_duckdb(reference):
    import duckdb
    q = (f"select count(*) from read_parquet('{reference}/cities.parquet') c "
         f"join read_parquet('{reference}/runs.parquet') r using (run_id) where r.status = 'ok'")
    assert duckdb.sql(q).fetchall()[0][0] == 48
    assert duckdb.sql(f"select count(*) from read_parquet('{reference}/parts/cities/*.parquet')").fetchall()[0][0] == 48


@pytest.mark.sim
def test_resume_warns_when_model_sources_changed(tmp_path, reference):
    import io
    import shutil

    out = tmp_path / "copy"
    shutil.copytree(reference, out)
    info = json.loads((out / "spec.json").read_text())
    info["code_version"] = info["code_version"].rpartition("+src.")[0] + "+src.000000000000"
    (out / "spec.json").write_text(json.dumps(info))
    buf = io.StringIO()
    r = run(out, workers=0, progress=False, stream=buf)
    assert r["executed"] == 0 and "model code changed" in buf.getvalue()
