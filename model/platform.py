"""The platform a run executes on, as far as it decides the last bits of the results.

The same configuration, seed and code give bit-identical results only on the same *platform*: numpy
picks SIMD kernels for np.exp, np.log, ** and reductions by the CPU it finds (AVX-512 ``X86_V4`` /
``AVX512_ICL`` or AVX2 ``X86_V3`` ...), OpenBLAS picks its kernels by CPU too (the model's θ regression
uses LAPACK), and the C library's libm, the numpy, Python, pandas and Mesa versions can each move a
value by one ulp, after which an agent-based trajectory diverges. Across platforms only the ensemble
statistics agree.

``fingerprint()`` describes what decides bit-identity here; ``fingerprint_id()`` hashes the fields of
:data:`ID_FIELDS` into 12 hex characters. Both are computed once per process (per value of the test-only
override below). ``record()`` is the fingerprint with its ``id``, as written to run.json and sweep folders.

``NPY_DISABLE_CPU_FEATURES="X86_V4 AVX512_ICL"`` makes numpy skip its AVX-512 kernels (how another
platform is tried on one machine); the fingerprint follows, since it reads the kernels numpy actually
dispatches (``np.show_runtime()``'s source: ``__cpu_baseline__``, ``__cpu_dispatch__`` and
``__cpu_features__``, in which disabled features read False).

Test-only: ``CZT_PLATFORM_OVERRIDE=<text>`` adds a ``test_override`` field that enters the id, so that tests
can play a second platform on one machine. It has no other effect; do not set it for real runs.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform as _pf
import sys
from functools import lru_cache
from importlib import metadata
from typing import Any

OVERRIDE_ENV = "CZT_PLATFORM_OVERRIDE"
# fields that decide bit-identity (hashed into the id); the others are recorded for information only
ID_FIELDS = ("numpy", "simd", "blas", "python", "system", "machine", "libc", "libraries", "kernels", "test_override")
# libraries, besides numpy, whose version can change the model's arithmetic or its order of draws
LIBRARIES = ("mesa", "pandas")
# compiled-kernel libraries: their versions and numba's compile target (the host CPU llvmlite compiles the model's
# kernels for, model/kernels.py) enter the fingerprint, as numpy's SIMD targets do
KERNEL_LIBRARIES = ("numba", "llvmlite")


def _version(pkg: str) -> str | None:
    try:
        return metadata.version(pkg)
    except metadata.PackageNotFoundError:
        return None


def _simd() -> dict[str, list[str]]:
    """The SIMD targets numpy dispatches to in this process (baseline + found, minus disabled ones)."""
    try:
        from numpy._core._multiarray_umath import __cpu_baseline__, __cpu_dispatch__, __cpu_features__
    except ImportError:  # numpy 1.x
        from numpy.core._multiarray_umath import __cpu_baseline__, __cpu_dispatch__, __cpu_features__
    return {"baseline": list(__cpu_baseline__),
            "dispatched": [f for f in __cpu_dispatch__ if __cpu_features__.get(f)],
            "not_dispatched": [f for f in __cpu_dispatch__ if not __cpu_features__.get(f)]}


def _openblas_core() -> str | None:
    """The CPU kernel family OpenBLAS chose at run time (DYNAMIC_ARCH builds), e.g. 'SkylakeX', 'Haswell'."""
    import ctypes
    import re

    try:
        with open("/proc/self/maps", encoding="utf-8", errors="replace") as fh:
            libs = sorted(set(re.findall(r"(/\S*openblas\S*\.(?:so|dylib)\S*)", fh.read())))
    except OSError:  # not Linux
        return None
    for lib in libs:
        try:
            handle = ctypes.CDLL(lib)
        except OSError:
            continue
        for sym in ("scipy_openblas_get_corename64_", "scipy_openblas_get_corename", "openblas_get_corename64_",
                    "openblas_get_corename"):
            fn = getattr(handle, sym, None)
            if fn is not None:
                fn.restype = ctypes.c_char_p
                return fn().decode(errors="replace")
    return None


def _blas() -> dict[str, Any]:
    import numpy as np

    try:
        deps = np.show_config(mode="dicts").get("Build Dependencies", {})
    except Exception:  # noqa: BLE001 - older numpy without mode="dicts"
        deps = {}
    out: dict[str, Any] = {}
    for lib in ("blas", "lapack"):
        d = deps.get(lib, {})
        out[lib] = {"name": d.get("name"), "version": d.get("version")}
    out["core"] = _openblas_core() if "openblas" in str(out["blas"]["name"]).lower() else None
    return out


def _libc() -> str:
    lib, ver = _pf.libc_ver()
    if lib:
        return f"{lib} {ver}"
    mac = _pf.mac_ver()[0]
    return f"macOS libSystem {mac}" if mac else "unknown"


@lru_cache(maxsize=8)
def _fingerprint(override: str | None) -> dict[str, Any]:
    import numpy as np

    fp: dict[str, Any] = {
        "numpy": np.__version__,
        "simd": _simd(),
        "npy_disable_cpu_features": os.environ.get("NPY_DISABLE_CPU_FEATURES"),
        "blas": _blas(),
        "python": f"{_pf.python_implementation()} {_pf.python_version()}",
        "system": _pf.system(),
        "machine": _pf.machine(),
        "libc": _libc(),
        "libraries": {p: _version(p) for p in LIBRARIES},
        "kernels": _kernels(),
    }
    if os.environ.get("NPY_ENABLE_CPU_FEATURES"):
        fp["npy_enable_cpu_features"] = os.environ["NPY_ENABLE_CPU_FEATURES"]
    if override:
        fp["test_override"] = override
    return fp


def _kernels() -> dict[str, Any]:
    out: dict[str, Any] = {p: v for p in KERNEL_LIBRARIES if (v := _version(p))}
    try:
        import llvmlite.binding as llvm

        out["target_cpu"] = llvm.get_host_cpu_name()
    except Exception:  # noqa: BLE001 - no llvmlite: no compiled kernels either
        pass
    return out


def fingerprint() -> dict[str, Any]:
    """What decides bit-identity of a run in this process (a fresh copy; computed once per process)."""
    return json.loads(json.dumps(_fingerprint(os.environ.get(OVERRIDE_ENV) or None)))


def identity(fp: dict[str, Any]) -> dict[str, Any]:
    """The fields of a fingerprint that enter its id (simd without the not-dispatched list)."""
    out = {k: fp.get(k) for k in ID_FIELDS if k in fp}
    if isinstance(out.get("simd"), dict):
        out["simd"] = {k: out["simd"].get(k) for k in ("baseline", "dispatched")}
    return out


def id_of(fp: dict[str, Any]) -> str:
    """12 hex characters of the SHA-256 of the canonical JSON of :func:`identity`."""
    blob = json.dumps(identity(fp), sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:12]


def fingerprint_id() -> str:
    """Short, stable id of this process's platform: equal ids, bit-identical results."""
    return id_of(_fingerprint(os.environ.get(OVERRIDE_ENV) or None))


def record() -> dict[str, Any]:
    """The fingerprint with its id, as recorded in run.json (``platform``) and in sweep folders."""
    return {**fingerprint(), "id": fingerprint_id()}


def differences(a: dict[str, Any], b: dict[str, Any]) -> str:
    """The identity fields in which two fingerprints differ, short: 'simd.dispatched: X86_V3 X86_V4 -> X86_V3'."""
    def flat(d: Any, prefix: str = "") -> dict[str, str]:
        if isinstance(d, dict):
            out: dict[str, str] = {}
            for k, v in d.items():
                out.update(flat(v, f"{prefix}{k}."))
            return out
        return {prefix[:-1]: " ".join(map(str, d)) if isinstance(d, list) else str(d)}

    fa, fb = flat(identity(a or {})), flat(identity(b or {}))
    diff = [f"{k}: {fa.get(k) or 'none'} -> {fb.get(k) or 'none'}" for k in sorted(set(fa) | set(fb))
            if fa.get(k) != fb.get(k)]
    return "; ".join(diff) if diff else "no recorded field differs"


def summary(fp: dict[str, Any]) -> str:
    """One short line: numpy version, dispatched SIMD targets, BLAS core, machine."""
    simd = fp.get("simd") or {}
    blas = fp.get("blas") or {}
    return (f"numpy {fp.get('numpy')}, SIMD {' '.join((simd.get('baseline') or []) + (simd.get('dispatched') or []))}"
            f", BLAS {(blas.get('blas') or {}).get('name')} {blas.get('core') or ''}".rstrip()
            + f", {fp.get('machine')} {fp.get('libc')}")


if __name__ == "__main__":  # python -m model.platform: print this machine's record
    json.dump(record(), sys.stdout, indent=2, sort_keys=True)
    print()
