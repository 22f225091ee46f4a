"""Random draws whose use of the random stream does not depend on floating-point values.

A draw that consumes a different number of variates when a probability moves by one unit in the last place
(numpy's binomial and multinomial skip the variate for p == 0 exactly and switch algorithms with n * p) shifts
the whole stream after it, and the run then follows another path on a CPU whose SIMD kernels round differently.
These helpers consume a fixed number of uniforms, so a last-bit difference can change an outcome only when a
uniform falls within that last bit of a threshold.
"""

from __future__ import annotations

import numpy as np


def stochastic_round(rng: np.random.Generator, x: np.ndarray) -> np.ndarray:
    """Round each element down or up with probabilities that keep its expectation (one uniform each)."""
    base = np.floor(x)
    return (base + (rng.random(x.shape) < (x - base))).astype(np.int64)


def categorical_counts(rng: np.random.Generator, n: np.ndarray, prob: np.ndarray) -> np.ndarray:
    """Multinomial counts by inversion: row i spreads ``n[i]`` draws over the columns of ``prob[i]``.

    Uses exactly ``n.sum()`` uniforms whatever the probabilities (rows should add to 1)."""
    n = np.asarray(n, dtype=np.int64)
    prob = np.atleast_2d(prob)
    k = prob.shape[1]
    row = np.repeat(np.arange(len(n)), n)
    u = rng.random(len(row))
    cum = np.cumsum(prob, axis=1)
    cat = np.minimum((u[:, None] >= cum[row]).sum(axis=1), k - 1)
    return np.bincount(row * k + cat, minlength=len(n) * k).reshape(len(n), k)
