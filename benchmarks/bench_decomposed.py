"""Time of the breadth models (issue 9) against a plain reference at equal objective.

Decomposed models (``W = P + Q``: Dirty, RobustFeature, RobustLowRank,
SparseLowRank regressors), protocol (one process, one BLAS thread):

* data: ``n`` rows, ``d`` unit-variance features with AR(1) correlation
  ``rho = 0.9`` (a design on which gradient steps are slow), ``T`` tasks, ``W`` = a
  rank-2 part + a few sparse entries + one outlier task, noise at
  signal-to-noise ratio 3, 20 % of the targets missing;
* strengths: ``0.1`` times each part's ``alpha_max`` (both parts active);
* the plain reference: accelerated proximal gradient (FISTA, step ``1/L``,
  gradient-based adaptive restart) over ``(P, Q, b)`` in plain numpy, with
  the objective and proximal operators written here from the docstrings;
* ``P*``: the lower of skmtl at ``tol=1e-12`` and 20000 reference steps;
* skmtl's time: the loosest ``tol`` in 1e-4, 1e-5, ... whose objective is
  within ``1e-6`` of ``P*`` (relative); the reference's time: its steps up to
  the first one within ``1e-6`` of ``P*`` (counted in a first run with
  objective evaluations, timed in a second run without them);
* each timing is the best of ``--repeat`` runs.

Run: ``python benchmarks/bench_decomposed.py`` (``--quick`` for smaller shapes,
``--no-large`` without the shape of 5000 rows).
The other issue 9 models are in bench_models.py.
"""

import argparse
import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import time  # noqa: E402
import warnings  # noqa: E402

import numpy as np  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402

import skmtl  # noqa: E402

TARGET = 1e-6
TOLERANCES = [10.0**-k for k in range(4, 13)]

# -- decomposed models ---------------------------------------------------------------
# name -> (penalty of P, parameter, penalty of Q, parameter, attributes of P, Q)
DECOMPOSED = {
    "Dirty": ("linf1", "alpha", "l1", "l1", "shared_coef_", "specific_coef_"),
    "RobustFeature": (
        "l21", "alpha", "columns", "beta", "shared_coef_", "outlier_coef_"
    ),
    "RobustLowRank": (
        "trace", "alpha", "columns", "beta", "low_rank_coef_", "outlier_coef_"
    ),
    "SparseLowRank": (
        "trace", "alpha", "l1", "l1", "low_rank_coef_", "sparse_coef_"
    ),
}


def _project_l1_rows(B, radius):
    U = -np.sort(-np.abs(B), axis=1)
    css = np.cumsum(U, axis=1)
    k = np.arange(1, B.shape[1] + 1)
    count = np.sum(U * k > css - radius, axis=1)
    theta = (css[np.arange(B.shape[0]), count - 1] - radius) / count
    theta = np.where(np.abs(B).sum(axis=1) <= radius, 0.0, theta)
    return np.sign(B) * np.maximum(np.abs(B) - theta[:, None], 0.0)


def penalty_value(kind, strength, B):
    if kind == "linf1":
        return strength * np.abs(B).max(axis=1).sum()
    if kind == "l1":
        return strength * np.abs(B).sum()
    if kind == "l21":
        return strength * np.linalg.norm(B, axis=1).sum()
    if kind == "columns":
        return strength * np.linalg.norm(B, axis=0).sum()
    return strength * np.linalg.svd(B, compute_uv=False).sum()  # trace


def penalty_prox(kind, strength, B, step):
    level = step * strength
    if kind == "linf1":
        return B - _project_l1_rows(B, level)
    if kind == "l1":
        return np.sign(B) * np.maximum(np.abs(B) - level, 0.0)
    if kind in ("l21", "columns"):
        axis = 1 if kind == "l21" else 0
        norms = np.linalg.norm(B, axis=axis, keepdims=True)
        return B * np.maximum(1.0 - level / np.maximum(norms, 1e-300), 0.0)
    U, s, Vt = np.linalg.svd(B, full_matrices=False)
    return (U * np.maximum(s - level, 0.0)) @ Vt


def decomposed_data(n, d, T, seed=0, snr=3.0, missing=0.2, rho=0.9):
    rng = np.random.default_rng(seed)
    E = rng.standard_normal((n, d))
    X = np.empty((n, d))
    X[:, 0] = E[:, 0]
    for j in range(1, d):  # AR(1)-correlated columns, unit variance
        X[:, j] = rho * X[:, j - 1] + np.sqrt(1 - rho**2) * E[:, j]
    W = rng.standard_normal((d, 2)) @ rng.standard_normal((2, T))
    W[rng.integers(d, size=5), rng.integers(T, size=5)] += 3.0
    W[:, -1] = 2.0 * rng.standard_normal(d)
    signal = X @ W
    noise = rng.standard_normal((n, T))
    noise *= np.linalg.norm(signal) / (snr * np.linalg.norm(noise))
    Y = signal + noise
    Y[rng.random((n, T)) < missing] = np.nan
    return X, Y


class SmoothPart:
    """``sum_t 1/(2 n_t) ||y_t - X_t w_t - b_t||^2`` on the observed entries."""

    def __init__(self, X, Y):
        self.X = X
        self.mask = ~np.isnan(Y)
        self.Y0 = np.where(self.mask, Y, 0.0)
        self.counts = self.mask.sum(axis=0)

    def value_grad(self, W, b):
        R = self.mask * (self.X @ W + b - self.Y0) / self.counts
        value = 0.5 * np.sum(R * (self.X @ W + b - self.Y0))
        return value, self.X.T @ R, R.sum(axis=0)

    def lipschitz(self):
        top = 0.0
        for t in range(self.mask.shape[1]):
            rows = self.mask[:, t]
            A = np.column_stack([self.X[rows], self.X[rows], np.ones(rows.sum())])
            top = max(top, np.linalg.eigvalsh(A.T @ A)[-1] / rows.sum())
        return top


def decomposed_objective(smooth, model, strengths, P, Q, b):
    kind_p, _, kind_q, _, _, _ = DECOMPOSED[model]
    value = smooth.value_grad(P + Q, b)[0]
    return value + penalty_value(kind_p, strengths[0], P) + penalty_value(
        kind_q, strengths[1], Q
    )


def decomposed_fista(smooth, model, strengths, n_steps, trace=False, stop_at=None):
    """FISTA with gradient-based adaptive restart; objective after each step
    when ``trace`` (stopping early once it is at most ``stop_at``)."""
    kind_p, _, kind_q, _, _, _ = DECOMPOSED[model]
    d, T = smooth.X.shape[1], smooth.mask.shape[1]
    step = 1.0 / smooth.lipschitz()
    P, Q, b = np.zeros((d, T)), np.zeros((d, T)), np.zeros(T)
    yP, yQ, yb, momentum = P, Q, b, 1.0
    values = []
    for _ in range(n_steps):
        _, G, gb = smooth.value_grad(yP + yQ, yb)
        P_new = penalty_prox(kind_p, strengths[0], yP - step * G, step)
        Q_new = penalty_prox(kind_q, strengths[1], yQ - step * G, step)
        b_new = yb - step * gb
        restart = (
            np.vdot(yP - P_new, P_new - P) + np.vdot(yQ - Q_new, Q_new - Q)
            + np.vdot(yb - b_new, b_new - b) > 0
        )
        if restart:
            momentum = 1.0
        next_momentum = 0.5 * (1 + np.sqrt(1 + 4 * momentum**2))
        beta = (momentum - 1) / next_momentum
        yP = P_new + beta * (P_new - P)
        yQ = Q_new + beta * (Q_new - Q)
        yb = b_new + beta * (b_new - b)
        P, Q, b, momentum = P_new, Q_new, b_new, next_momentum
        if trace:
            values.append(decomposed_objective(smooth, model, strengths, P, Q, b))
            if stop_at is not None and values[-1] <= stop_at:
                break
    return P, Q, b, values


def _best_time(fit, repeat):
    best = np.inf
    for _ in range(repeat):
        start = time.perf_counter()
        out = fit()
        best = min(best, time.perf_counter() - start)
    return best, out


def _skmtl_fit(model, strengths, X, Y, tol):
    _, name_p, _, name_q, attr_p, attr_q = DECOMPOSED[model]
    cls = getattr(skmtl, f"{model}Regressor")
    est = cls(**{name_p: strengths[0], name_q: strengths[1]}, tol=tol, max_iter=20000)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.fit(X, Y)
    return getattr(est, attr_p).T, getattr(est, attr_q).T, est.intercept_, est


def bench_decomposed(shape, repeat=3, reference_steps=20000, seed=0, early=False):
    """One row per decomposed regressor on data of ``shape = (n, d, T)``.

    ``early``: the reference's objective trace stops once within ``1e-9``
    (relative) of skmtl's objective at ``tol=1e-12`` (large shapes: 20000
    traced steps would take minutes; ``P*`` moves by at most ``1e-9``)."""
    X, Y = decomposed_data(*shape, seed=seed)
    smooth = SmoothPart(X, Y)
    rows = []
    for model, (_, name_p, _, name_q, _, _) in DECOMPOSED.items():
        cls = getattr(skmtl, f"{model}Regressor")
        strengths = tuple(
            0.1 * skmtl.alpha_max(cls(), X, Y, param=name) for name in (name_p, name_q)
        )
        P, Q, b, _ = _skmtl_fit(model, strengths, X, Y, 1e-12)
        tight = decomposed_objective(smooth, model, strengths, P, Q, b)
        stop_at = tight + 1e-9 * abs(tight) if early else None
        *_, values = decomposed_fista(smooth, model, strengths, reference_steps, True,
                                      stop_at)
        best = min(tight, min(values))
        target = best + TARGET * abs(best)
        reached = [k for k, v in enumerate(values) if v <= target]
        steps = reached[0] + 1 if reached else None
        ours = None
        for tol in TOLERANCES:
            P, Q, b, est = _skmtl_fit(model, strengths, X, Y, tol)
            if decomposed_objective(smooth, model, strengths, P, Q, b) <= target:
                ours = tol
                break
        t_ours, (_, _, _, est) = _best_time(
            lambda model=model, strengths=strengths, ours=ours: _skmtl_fit(
                model, strengths, X, Y, ours), repeat
        )
        t_ref = np.nan
        if steps is not None:
            t_ref, _ = _best_time(
                lambda model=model, strengths=strengths, steps=steps: decomposed_fista(
                    smooth, model, strengths, steps), repeat
            )
        rows.append(
            dict(model=model, shape=shape, tol=ours, time=t_ours, solver=est.solver_,
                 steps=steps, reference_time=t_ref, ratio=t_ours / t_ref,
                 tight_gap=(tight - best) / abs(best))
        )
    return rows


def print_decomposed(rows):
    print(f"{'model':<15}{'(n, d, T)':<17}{'tol':>8}{'skmtl s':>10}"
          f"{'FISTA steps':>13}{'FISTA s':>10}{'ratio':>8}  solver")
    for r in rows:
        steps = r["steps"] if r["steps"] is not None else ">max"
        print(f"{r['model']:<15}{str(r['shape']):<17}{r['tol']:>8.0e}{r['time']:>10.3f}"
              f"{steps:>13}{r['reference_time']:>10.3f}{r['ratio']:>8.3f}"
              f"  {r['solver']}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-large", action="store_true",
                        help="skip the large shape (5000, 100, 20)")
    args = parser.parse_args()
    from threadpoolctl import threadpool_limits

    shapes = [(200, 30, 8)] if args.quick else [(500, 50, 10), (100, 150, 10)]
    if not args.quick and not args.no_large:
        shapes.append((5000, 100, 20))  # many rows: FISTA's step costs n d T
    with threadpool_limits(1):
        for shape in shapes:
            print_decomposed(bench_decomposed(shape, repeat=args.repeat,
                                              early=shape[0] >= 5000))


if __name__ == "__main__":
    main()
