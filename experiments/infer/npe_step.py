"""The neural step of ``python -m experiments infer``, run in the optional .venv-sbi (torch, sbi 0.27):

    .venv-sbi/bin/python experiments/infer/npe_step.py TRAINSET.npz OUT --seed S [--samples N] [--sbc-samples M]

Standalone on purpose: it imports numpy, pandas, torch and sbi only (never the project, so the main venv needs no
torch and this venv no model). Reads the training set (experiments/infer/trainset.py writes it), trains sbi's NPE
(its default masked autoregressive flow) on the training runs, and writes into OUT, each file atomically and
``npe.json`` last (it marks the step done):

* ``posterior_samples.csv``: draws of the posterior at the record (natural units, prior order of the parameters);
* ``sbc_ranks.csv``: simulation-based calibration ranks of the held-out runs (sbi.diagnostics.run_sbc);
* ``tarp.csv``: expected coverage against credibility level (sbi.diagnostics.run_tarp, Lemos et al. 2023);
* ``coverage.csv``: per parameter and level, the share of held-out runs whose true value lies in the central
  interval, and the interval's mean width as a share of the prior range;
* ``test_posterior.csv``: per held-out run and parameter: the true value, posterior median, 5 % and 95 % quantiles;
* ``npe.json``: the training summary, check_sbc, check_tarp, the misspecification test
  (sbi.diagnostics.calc_misspecification_mmd, Schmitt et al. 2023; the same test on held-out runs as a control),
  seeds, versions and timings.

θ is trained on the logit of its position in the prior box, under the prior pushed through the logit (a standard
logistic per parameter), so the flow has no mass outside the box to reject; ranks and quantiles are per parameter
and unchanged by that monotone map. torch's seed comes from --seed and runs single-threaded with deterministic
algorithms: a rerun on the same machine writes the same bytes.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

LEVELS = (0.5, 0.8, 0.9, 0.95)
EPS = 1e-6


def atomic_write(path: Path, write) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        write(tmp)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_csv(df: pd.DataFrame, path: Path) -> None:
    atomic_write(path, lambda tmp: df.to_csv(tmp, index=False, float_format="%.8g"))


def write_json(obj, path: Path) -> None:
    atomic_write(path, lambda tmp: Path(tmp).write_text(json.dumps(obj, indent=2, sort_keys=True) + "\n"))


def logit_prior(k: int):
    """Uniform(0, 1) per parameter pushed through the logit: the prior of the logit-scale θ."""
    import torch
    from torch.distributions import Independent, SigmoidTransform, TransformedDistribution, Uniform

    base = Uniform(torch.zeros(k), torch.ones(k))
    return Independent(TransformedDistribution(base, [SigmoidTransform().inv]), 1)


def to_logit(theta: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    u = np.clip((theta - lo) / (hi - lo), EPS, 1 - EPS)
    return np.log(u / (1 - u))


def from_logit(phi: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    return lo + (hi - lo) / (1 + np.exp(-phi))


def train(theta: np.ndarray, x: np.ndarray, seed: int, max_epochs: int | None = None, log_dir: Path | None = None):
    """sbi's NPE (default flow) on (logit θ, x); returns the trainer, the posterior and a training summary. sbi's
    training log (TensorBoard events) goes to ``log_dir`` (default: sbi's own ``sbi-logs/`` in the working folder)."""
    import torch
    from sbi.inference import NPE

    torch.manual_seed(seed)
    np.random.seed(seed % 2**32)
    prior = logit_prior(theta.shape[1])
    writer = None
    if log_dir is not None:
        from torch.utils.tensorboard import SummaryWriter

        writer = SummaryWriter(log_dir=str(log_dir))
    inference = NPE(prior=prior, show_progress_bars=False, summary_writer=writer)
    inference.append_simulations(torch.as_tensor(theta, dtype=torch.float32), torch.as_tensor(x, dtype=torch.float32))
    kw = {"max_num_epochs": max_epochs} if max_epochs else {}
    t = time.time()
    estimator = inference.train(show_train_summary=False, **kw)
    summ = inference.summary
    info = {"seconds": time.time() - t, "epochs": int(len(summ["training_loss"])),
            "best_validation_loss": float(summ["best_validation_loss"][-1]) if summ.get("best_validation_loss") else None,
            "parameters": int(sum(p.numel() for p in estimator.parameters()))}
    return inference, inference.build_posterior(estimator), info


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("trainset")
    ap.add_argument("out")
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--samples", type=int, default=10_000, help="posterior draws at the record")
    ap.add_argument("--sbc-samples", type=int, default=1000, help="posterior draws per held-out run")
    ap.add_argument("--max-epochs", type=int, default=None)
    ap.add_argument("--request", default="{}", help="JSON echoed into npe.json (the caller's key of this step)")
    a = ap.parse_args(argv)

    import sbi
    import torch

    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    t0 = time.time()
    out = Path(a.out)
    d = np.load(a.trainset)
    meta = json.loads(Path(a.trainset).with_suffix(".json").read_text()) if Path(a.trainset).with_suffix(".json").exists() else {}
    names = meta.get("names") or [f"theta{j}" for j in range(d["theta"].shape[1])]
    lo, hi = d["lo"], d["hi"]
    phi = to_logit(d["theta"], lo, hi)
    x, test = d["x"], d["test"].astype(bool)
    tr, te = ~test, test
    inference, posterior, tinfo = train(phi[tr], x[tr], a.seed, a.max_epochs, log_dir=out / "sbi-logs")

    # the posterior at the record
    x_obs = torch.as_tensor(d["x_obs"], dtype=torch.float32)[None]
    torch.manual_seed(a.seed + 1)
    s = posterior.sample((a.samples,), x=x_obs, show_progress_bars=False).numpy().astype(float)
    write_csv(pd.DataFrame(from_logit(s, lo, hi), columns=names), out / "posterior_samples.csv")

    from sbi.diagnostics import calc_misspecification_mmd, check_sbc, check_tarp, run_sbc, run_tarp

    th_te = torch.as_tensor(phi[te], dtype=torch.float32)
    x_te = torch.as_tensor(x[te], dtype=torch.float32)
    diag: dict = {}
    if te.sum() >= 2:
        torch.manual_seed(a.seed + 2)
        ranks, dap = run_sbc(th_te, x_te, posterior, num_posterior_samples=a.sbc_samples, show_progress_bar=False)
        torch.manual_seed(a.seed + 3)
        prior_draws = logit_prior(len(names)).sample((len(th_te),))
        chk = check_sbc(ranks, prior_draws, dap, num_posterior_samples=a.sbc_samples)
        write_csv(pd.DataFrame(ranks.numpy().astype(int), columns=names), out / "sbc_ranks.csv")
        diag["sbc"] = {"cases": int(len(th_te)), "posterior_samples": a.sbc_samples,
                       "ks_pvals": dict(zip(names, map(float, chk["ks_pvals"]))),
                       "c2st_ranks": dict(zip(names, map(float, chk["c2st_ranks"]))),
                       "c2st_dap": float(np.ravel(chk["c2st_dap"].numpy())[0])}
        torch.manual_seed(a.seed + 4)
        ecp, alpha = run_tarp(th_te, x_te, posterior, num_posterior_samples=a.sbc_samples, show_progress_bar=False)
        atc, ks = check_tarp(ecp, alpha)
        write_csv(pd.DataFrame({"alpha": alpha.numpy(), "ecp": ecp.numpy()}), out / "tarp.csv")
        diag["tarp"] = {"atc": float(atc), "ks_pval": float(ks)}
        # coverage of central intervals per parameter, and the test cases' posterior summaries
        torch.manual_seed(a.seed + 5)
        ps = posterior.sample_batched((a.sbc_samples,), x=x_te, show_progress_bars=False).numpy().astype(float)
        u = 1 / (1 + np.exp(-ps))  # draws x cases x parameters, share of the prior range
        u_true = 1 / (1 + np.exp(-phi[te]))
        rows = []
        for j, n in enumerate(names):
            for lev in LEVELS:
                ql, qh = np.quantile(u[:, :, j], [(1 - lev) / 2, (1 + lev) / 2], axis=0)
                rows.append({"param": n, "level": lev, "coverage": float(np.mean((ql <= u_true[:, j]) & (u_true[:, j] <= qh))),
                             "width_share_of_prior": float(np.mean(qh - ql))})
        write_csv(pd.DataFrame(rows), out / "coverage.csv")
        nat = lo + (hi - lo) * u
        tp = []
        for c in range(nat.shape[1]):
            for j, n in enumerate(names):
                q05, q50, q95 = np.quantile(nat[:, c, j], [0.05, 0.5, 0.95])
                tp.append({"case": c, "point": int(d["point"][te][c]), "param": n, "true": float(d["theta"][te][c, j]),
                           "median": q50, "q05": q05, "q95": q95})
        write_csv(pd.DataFrame(tp), out / "test_posterior.csv")
        # how much each parameter is learned: 1 - mean squared error of the posterior mean / prior variance (1/12)
        diag["learned_share"] = {n: float(1 - np.mean((u[:, :, j].mean(0) - u_true[:, j]) ** 2) * 12)
                                 for j, n in enumerate(names)}

    # misspecification: MMD of the record against the training runs' x, with held-out runs as a control
    torch.manual_seed(a.seed + 6)
    x_tr = torch.as_tensor(x[tr], dtype=torch.float32)
    p_obs, (base, mmd) = calc_misspecification_mmd(x_obs, x_tr, mode="x_space", n_shuffle=1000)
    control = []
    for c in range(min(20, int(te.sum()))):
        pc, (_, mc) = calc_misspecification_mmd(x_te[c:c + 1], x_tr, mode="x_space", n_shuffle=200)
        control.append({"p": float(pc), "mmd": float(mc)})
    diag["misspecification_mmd"] = {
        "p_value": float(p_obs), "mmd": float(mmd), "null_q50": float(np.quantile(base.numpy(), 0.5)),
        "null_q95": float(np.quantile(base.numpy(), 0.95)), "null_max": float(base.numpy().max()),
        "control_held_out_runs": len(control),
        "control_share_rejected_at_5pct": float(np.mean([c["p"] < 0.05 for c in control])) if control else None,
        "control_mmd_median": float(np.median([c["mmd"] for c in control])) if control else None}

    write_json({"request": json.loads(a.request), "seed": a.seed, "samples": a.samples, "train_runs": int(tr.sum()), "test_runs": int(te.sum()),
                "names": names, "training": tinfo, **diag, "density_estimator": "sbi NPE default (maf)",
                "theta_scale": "logit of the position in the prior box; prior: standard logistic per parameter",
                "versions": {"sbi": sbi.__version__, "torch": torch.__version__, "numpy": np.__version__,
                             "python": sys.version.split()[0]},
                "seconds": time.time() - t0}, out / "npe.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
