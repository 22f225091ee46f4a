"""Platform fingerprints (model/platform.py): what they record, that they follow numpy's SIMD dispatch, and that
sweeps refuse to mix platforms unless told to (--allow-mixed-platforms), for resumes, local worker results and
Dask clusters. A second platform is played with the test-only CZT_PLATFORM_OVERRIDE, or for real with
NPY_DISABLE_CPU_FEATURES on a CPU with AVX-512."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from experiments.sweep.runner import run
from experiments.sweep.store import Store
from model import platform
from model.errors import ConfigError

ROOT = Path(__file__).resolve().parents[1]
HERE = str(Path(__file__).resolve())

SPEC = """name = "platforms"
scenario = "baseline"
design = "factorial"
replications = 1
until = 2020
scale = 50000
root_seed = 5
retries = 0
outputs = ["gdp_100m_yuan", "gdp_share"]
[params]
enclave_tax_share = [0.0, 0.5, 1.0]
"""


# ---- test-only hooks, run in the worker before the model (CZT_SWEEP_HOOK=this_file:function)
def fail_last_point(task):
    if task["values"]["enclave_tax_share"] == 1.0:
        raise RuntimeError("injected failure")


def other_platform_after_first(task):
    """The worker 'moves' to another platform after its first run (env persists in the worker process)."""
    if os.environ.get("CZT_TEST_SEEN"):
        os.environ["CZT_PLATFORM_OVERRIDE"] = "moved"
    os.environ["CZT_TEST_SEEN"] = "1"


def _spec(tmp: Path) -> Path:
    p = tmp / "p.toml"
    p.write_text(SPEC)
    return p


def _py(code: str, env: dict | None = None) -> str:
    r = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120,
                       env={**os.environ, **(env or {})})
    assert r.returncode == 0, r.stderr
    return r.stdout


def _files(d: Path) -> dict[str, bytes]:
    return {str(f.relative_to(d)): f.read_bytes() for f in sorted(d.rglob("*")) if f.is_file() and f.name != ".lock"}


@pytest.mark.cli
def test_fingerprint_record_and_stable_id():
    rec = platform.record()
    assert {"numpy", "simd", "blas", "python", "machine", "libc", "kernels", "libraries", "id",
            "npy_disable_cpu_features"} <= set(rec)
    assert re.fullmatch(r"[0-9a-f]{12}", rec["id"]) and rec["id"] == platform.fingerprint_id()
    assert rec["simd"]["baseline"] and isinstance(rec["simd"]["dispatched"], list)
    assert platform.fingerprint_id() is platform.fingerprint_id() or platform.fingerprint_id() == rec["id"]
    # stable: another process on this machine, same environment, same id
    assert _py("from model.platform import fingerprint_id; print(fingerprint_id())").strip() == rec["id"]
    assert platform.id_of(rec) == rec["id"]  # the id is a function of the recorded fields only


@pytest.mark.cli
def test_fingerprint_follows_numpy_simd_dispatch():
    rec = platform.record()
    avx512 = [f for f in ("X86_V4", "AVX512_ICL") if f in rec["simd"]["dispatched"]]
    if not avx512:
        pytest.skip("numpy dispatches no AVX-512 kernels on this CPU (X86_V4/AVX512_ICL not found), so "
                    "NPY_DISABLE_CPU_FEATURES has nothing to switch off here")
    out = _py("import json; from model import platform; print(json.dumps(platform.record()))",
              {"NPY_DISABLE_CPU_FEATURES": "X86_V4 AVX512_ICL"})
    other = json.loads(out)
    assert other["id"] != rec["id"]
    assert not set(avx512) & set(other["simd"]["dispatched"])
    assert other["npy_disable_cpu_features"] == "X86_V4 AVX512_ICL"
    assert "simd.dispatched" in platform.differences(rec, other)


def test_override_is_test_only_and_enters_the_id(monkeypatch):
    here = platform.fingerprint_id()
    monkeypatch.setenv(platform.OVERRIDE_ENV, "elsewhere")
    assert platform.fingerprint_id() != here and platform.fingerprint()["test_override"] == "elsewhere"
    monkeypatch.delenv(platform.OVERRIDE_ENV)
    assert platform.fingerprint_id() == here


@pytest.mark.sim
def test_run_json_and_parquet_metadata_record_the_platform(tmp_path):
    from experiments.runner import run_to_folder
    from experiments.sweep.store import read_provenance

    info = run_to_folder("baseline", 1, 2019, tmp_path / "r", {"scale": 50000})
    rec = json.loads((tmp_path / "r" / "run.json").read_text())["platform"]
    assert rec == info["platform"] and rec["id"] == platform.fingerprint_id()
    for name in ("cities", "annual", "flows"):
        meta = json.loads(read_provenance(tmp_path / "r" / f"{name}.parquet")["czt_sim.platform"])
        assert meta["id"] == rec["id"] and meta["simd"] == rec["simd"]


@pytest.mark.sim
def test_resume_on_another_platform_refused_then_allowed_with_the_flag(tmp_path, monkeypatch, capsys):
    from experiments.cli import main
    from experiments.sweep.status import status

    out = tmp_path / "o"
    monkeypatch.setenv("CZT_SWEEP_HOOK", f"{HERE}:fail_last_point")
    r = run(out, spec_path=_spec(tmp_path), workers=0, progress=False)
    assert (r["ok"], r["failed"]) == (2, 1)
    monkeypatch.delenv("CZT_SWEEP_HOOK")
    home = Store(out).platform_id()
    assert home == platform.fingerprint_id() and json.loads((out / "spec.json").read_text())["platform"]["id"] == home
    assert any(e["event"] == "platform" for e in Store(out).events())
    before = _files(out)
    ids = set(pd.read_parquet(out / "design.parquet").run_id)

    monkeypatch.setenv(platform.OVERRIDE_ENV, "elsewhere")  # 'this machine' now has another fingerprint
    assert main(["resume", str(out), "--workers", "0", "--no-progress"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: platform mismatch") and "--allow-mixed-platforms" in err[0]
    assert home in err[0] and platform.fingerprint_id() in err[0]
    assert _files(out) == before  # nothing finished lost, nothing written

    assert main(["resume", str(out), "--workers", "0", "--no-progress", "--allow-mixed-platforms"]) == 0
    runs = pd.read_parquet(out / "runs.parquet")
    assert (runs.status == "ok").all() and set(runs.run_id) == ids  # run ids do not depend on the platform
    assert sorted(runs.platform_id.value_counts().to_dict().items()) == sorted(
        {home: 2, platform.fingerprint_id(): 1}.items())
    ev = [e for e in Store(out).events() if e["event"] == "platforms"]
    assert ev and ev[0]["mixed_platforms_allowed"] is True and set(ev[0]["platform_ids"]) >= {platform.fingerprint_id()}
    text = status(out)
    assert f"{home} (the sweep's) 2" in text and f"{platform.fingerprint_id()} 1" in text
    assert "mixed platforms allowed" in text
    capsys.readouterr()
    monkeypatch.delenv(platform.OVERRIDE_ENV)
    # readers warn in one line naming the ids instead of pooling silently
    from experiments.report.load import read

    data = read(out)
    assert any("2 platforms" in w and home in w for w in data.warnings)
    main(["analyze", str(out)])
    err = capsys.readouterr().err
    warn = [line for line in err.splitlines() if "platforms" in line]
    assert len(warn) == 1 and warn[0].startswith("warning: pooling") and home in warn[0]


@pytest.mark.sim
def test_local_worker_result_from_another_platform_is_not_recorded(tmp_path, monkeypatch):
    out = tmp_path / "o"
    monkeypatch.setenv("CZT_SWEEP_HOOK", f"{HERE}:other_platform_after_first")
    with pytest.raises(ConfigError) as info:
        run(out, spec_path=_spec(tmp_path), workers=1, progress=False)
    msg = str(info.value)
    assert "platform mismatch" in msg and "not recorded" in msg and "\n" not in msg
    st = Store(out)
    fin = st.finished()
    assert len(fin) == 1 and (fin.status == "ok").all()  # the first run is kept, the moved worker's is not
    assert [e for e in st.events() if e["event"] == "refused"]
    monkeypatch.delenv("CZT_SWEEP_HOOK")
    r = run(out, workers=1, progress=False)  # fresh workers, on the sweep's platform again
    assert r["ok"] == 2 and r["ok_before"] == 1 and r["pending"] == 0


# ---- Dask: one external worker process (no nanny) next to a scheduler in this process
def _worker(addr: str, cwd: Path, env: dict, flags: tuple[str, ...] = ()) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, *flags, "-m", "distributed.cli.dask_worker", addr, "--no-nanny",
                             "--nthreads", "1", "--no-dashboard"], cwd=cwd, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)


def _without_the_package() -> tuple[dict, tuple[str, ...]]:
    """An environment with dask but without CZT-Sim: this interpreter's site-packages on the path, but ``-S``, so
    the install's .pth hook (pip install -e) is never run; the worker starts outside the checkout."""
    import sysconfig

    env = {**{k: v for k, v in os.environ.items() if k != "PYTHONPATH"}, "PYTHONPATH": sysconfig.get_paths()["purelib"]}
    return env, ("-S",)


def _wait_workers(addr: str, n: int) -> None:
    from dask.distributed import Client

    with Client(addr, timeout="20s") as c:
        c.wait_for_workers(n, timeout=60)


@pytest.fixture
def scheduler():
    from dask.distributed import LocalCluster

    def start(n_workers: int):
        cl = LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=False, protocol="tcp://",
                          host="127.0.0.1", dashboard_address=None)
        started.append(cl)
        return cl.scheduler_address

    started: list = []
    yield start
    for cl in started:
        cl.close()


def test_dask_workers_that_cannot_import_the_project_refused_before_any_run(tmp_path, scheduler):
    addr = scheduler(0)
    env, flags = _without_the_package()
    check = subprocess.run([sys.executable, *flags, "-c", "import distributed\nimport experiments"], cwd=tmp_path,
                           env=env, capture_output=True, text=True, timeout=120)
    assert "No module named 'experiments'" in check.stderr  # dask is there, the project is not
    w = _worker(addr, tmp_path, env, flags)
    try:
        _wait_workers(addr, 1)
        t = time.time()
        with pytest.raises(ConfigError) as info:
            run(tmp_path / "o", spec_path=_spec(tmp_path), dask=addr, progress=False)
        assert time.time() - t < 60
    finally:
        w.terminate()
        w.wait(timeout=30)
    msg = str(info.value)
    assert "cannot import" in msg and "No module named 'experiments'" in msg and f"pip install -e {ROOT}" in msg
    assert "\n" not in msg
    assert not (tmp_path / "o").exists()  # refused before the folder was made


def test_dask_cluster_of_mixed_platforms_refused_before_any_run(tmp_path, scheduler):
    addr = scheduler(1)  # one worker in this process, on this platform
    env = {**{k: v for k, v in os.environ.items() if k != "PYTHONPATH"}, platform.OVERRIDE_ENV: "other-node"}
    w = _worker(addr, tmp_path, env)
    try:
        _wait_workers(addr, 2)
        with pytest.raises(ConfigError) as info:
            run(tmp_path / "o", spec_path=_spec(tmp_path), dask=addr, progress=False)
    finally:
        w.terminate()
        w.wait(timeout=30)
    msg = str(info.value)
    assert "platform mismatch" in msg and "workers differ among themselves" in msg
    assert platform.fingerprint_id() in msg and "--allow-mixed-platforms" in msg
    assert not (tmp_path / "o").exists()
