"""Paired tests over tasks for :func:`skmtl.model_selection.compare`.

Each test takes the per-task differences ``d`` (estimator minus baseline,
``NaN`` for undefined tasks, left out) and returns a two-sided p-value for
"the mean difference is zero".

* :func:`sign_flip_pvalue` -- the sign-flip permutation test: under the null
  hypothesis each task's difference is as likely to have either sign, so the
  mean of ``d`` is compared with the means of all ``2^T`` sign patterns
  (exact when ``T <= EXACT_MAX_TASKS`` = 20, else ``n_resamples`` random patterns
  and the p-value ``(1 + hits) / (1 + n_resamples)``). With ``T`` tasks the
  smallest exact p-value is ``2 / 2^T`` (0.016 for 7 tasks, 0.0625 for 5):
  no test treating the tasks as the units can do better.
* :func:`bootstrap_pvalue` -- the bootstrap test of the mean (resampling the
  centred differences).
* :func:`wilcoxon_pvalue` -- scipy's Wilcoxon signed-rank test.

:func:`bootstrap_interval` is the percentile bootstrap confidence interval of
the mean difference over tasks.
"""

import numpy as np
from scipy import stats

__all__ = [
    "EXACT_MAX_TASKS",
    "bootstrap_interval",
    "bootstrap_pvalue",
    "minimum_pvalue",
    "sign_flip_pvalue",
    "wilcoxon_pvalue",
]

EXACT_MAX_TASKS = 20  # 2^20 = 1,048,576 sign patterns, counted in two halves


def _defined(d):
    d = np.asarray(d, dtype=float)
    return d[~np.isnan(d)]


def _signed_sums(values):
    """The ``2^n`` sums ``sum_i s_i values_i`` over all signs ``s``."""
    sums = np.zeros(1)
    for value in values:
        sums = np.concatenate([sums + value, sums - value])
    return sums


def _exact_hits(d, threshold):
    """Number of the ``2^T`` sign patterns with ``|mean| >= threshold``.

    Meet in the middle: the signed sums of each half of ``d`` (``2^(T/2)``
    each), then for every sum of the first half, a binary search counts the
    sums of the second half that bring the total beyond the threshold.
    """
    half = d.size // 2
    first, second = _signed_sums(d[:half]), np.sort(_signed_sums(d[half:]))
    limit = threshold * d.size
    above = second.size - np.searchsorted(second, limit - first, side="left")
    below = np.searchsorted(second, -limit - first, side="right")
    return int(np.sum(above + below))


def sign_flip_pvalue(d, n_resamples=9999, random_state=0):
    """Two-sided sign-flip permutation p-value of the mean of ``d``.

    Returns ``(p, exact)``; ``p`` is NaN without defined differences and 1
    when they are all zero.
    """
    d = _defined(d)
    if d.size == 0:
        return float("nan"), True
    if not np.any(d != 0):
        return 1.0, True
    observed = abs(d.mean())
    tolerance = 1e-12 * max(np.abs(d).max(), 1e-300)
    if d.size <= EXACT_MAX_TASKS:
        return _exact_hits(d, observed - tolerance) / 2.0**d.size, True
    rng = np.random.default_rng(random_state)
    hits = 0
    for start in range(0, n_resamples, 1000):
        size = min(1000, n_resamples - start)
        signs = rng.choice((-1.0, 1.0), size=(size, d.size))
        hits += int(np.sum(np.abs(signs @ d) / d.size >= observed - tolerance))
    return (1 + hits) / (1 + n_resamples), False


def minimum_pvalue(n_tasks):
    """Smallest p-value of the exact sign-flip test with ``n_tasks`` tasks."""
    return 2.0 / 2.0**n_tasks if n_tasks > 0 else float("nan")


def _bootstrap_means(d, n_resamples, random_state):
    rng = np.random.default_rng(random_state)
    index = rng.integers(0, d.size, size=(n_resamples, d.size))
    return d[index].mean(axis=1)


def bootstrap_pvalue(d, n_resamples=9999, random_state=0):
    """Two-sided bootstrap p-value of the mean of ``d`` (centred resampling)."""
    d = _defined(d)
    if d.size == 0:
        return float("nan")
    if not np.any(d != 0):
        return 1.0
    means = _bootstrap_means(d - d.mean(), n_resamples, random_state)
    hits = int(np.sum(np.abs(means) >= abs(d.mean())))
    return (1 + hits) / (1 + n_resamples)


def bootstrap_interval(d, confidence_level=0.95, n_resamples=9999, random_state=0):
    """Percentile bootstrap interval of the mean of ``d`` over tasks."""
    d = _defined(d)
    if d.size == 0:
        return float("nan"), float("nan")
    if d.size == 1 or np.all(d == d[0]):
        return float(d[0]), float(d[0])
    means = _bootstrap_means(d, n_resamples, random_state)
    tail = (1.0 - confidence_level) / 2.0
    low, high = np.quantile(means, [tail, 1.0 - tail])
    return float(low), float(high)


def wilcoxon_pvalue(d):
    """Two-sided Wilcoxon signed-rank p-value; zeros split between the signs."""
    d = _defined(d)
    if d.size == 0:
        return float("nan")
    if not np.any(d != 0):
        return 1.0
    return float(stats.wilcoxon(d, zero_method="zsplit").pvalue)
