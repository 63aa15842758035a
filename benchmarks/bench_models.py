"""Issue 9 models against a plain accelerated proximal gradient at equal objective.

Models: TaskGraphRegressor with ``l21`` (chain graph: temporal group lasso),
ClusteredRegressor, SharedSubspaceRegressor, FusedTaskRegressor.

Protocol (one process, one BLAS thread):

* data: ``X`` (n, d) with AR(1)-correlated columns (``rho = 0.8``), ``W``
  with a few active features whose weights vary by clusters and smoothly
  over the tasks, ``Y = X W + 1 + noise``,
  20 % of the targets missing;
* ``P*``: our objective at ``tol=1e-12``;
* ours: the loosest ``tol`` in 1e-4, 1e-5, ... whose objective is within
  ``1e-6`` of ``P*`` (relative), timed (best of ``--repeat`` fits, ``.fit``
  with its validation);
* reference: FISTA with a fixed step ``1/L`` and restarts, written here in
  plain numpy from the docstrings' objectives (intercepts as unpenalised
  variables), timed until its objective is within ``1e-6`` of ``P*``
  (``inf`` if not within ``--max-iter`` iterations). For the fused model
  the reference uses skmtl's exact TV prox (``tv_prox_rows``, the compiled
  taut string that the model uses), so that the two solvers, not two TV
  algorithms, are compared.

Every objective is computed here, never by skmtl. Run:
``python benchmarks/bench_models.py`` (``--quick`` for smaller shapes,
``--no-large`` without the shape of 5000 rows).
"""

import argparse
import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import time  # noqa: E402
import warnings  # noqa: E402

import numpy as np  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402

# the reference's TV prox is skmtl's exact taut string, compiled as ours
# (tv_prox_rows): a plain dual projected gradient needs hundreds of iterations
# per row and FISTA step, which would time the TV prox, not the solvers
from skmtl import (  # noqa: E402
    ClusteredRegressor,
    FusedTaskRegressor,
    SharedSubspaceRegressor,
    TaskGraphRegressor,
    chain_graph,
)
from skmtl.penalties._fused import tv_prox_rows  # noqa: E402

TOLERANCES = [10.0**-k for k in range(4, 13)]
TARGET = 1e-6


def make_data(n, d, T, seed=0, rho=0.8):
    rng = np.random.default_rng(seed)
    E = rng.standard_normal((n, d))
    X = np.empty((n, d))  # AR(1)-correlated columns: an ill-conditioned design
    X[:, 0] = E[:, 0]
    for j in range(1, d):
        X[:, j] = rho * X[:, j - 1] + np.sqrt(1 - rho**2) * E[:, j]
    W = np.zeros((d, T))
    active = rng.choice(d, max(3, d // 8), replace=False)
    clusters = rng.integers(0, 3, T)
    centres = rng.standard_normal((active.size, 3))
    W[active] = centres[:, clusters] + 0.2 * np.linspace(0, 1, T)
    Y = X @ W + 1.0 + 0.5 * rng.standard_normal((n, T))
    Y[rng.random(Y.shape) < 0.2] = np.nan
    return X, Y


# -- objectives and proxes, in plain numpy -----------------------------------------


def squared_loss(X, Y, W, b):
    observed = ~np.isnan(Y)
    omega = observed / observed.sum(axis=0)
    E = np.where(observed, X @ W + b - np.nan_to_num(Y), 0.0)
    R = omega * E
    return 0.5 * float(np.sum(R * E)), X.T @ R, R.sum(axis=0)


def lipschitz(X, Y):
    observed = ~np.isnan(Y)
    omega = observed / observed.sum(axis=0)
    Xa = np.column_stack([X, np.ones(len(X))])
    return max(np.linalg.eigvalsh(Xa.T @ (Xa * omega[:, [t]]))[-1]
               for t in range(Y.shape[1]))


def soft(V, a):
    return np.sign(V) * np.maximum(np.abs(V) - a, 0.0)


def group(V, a):
    norms = np.linalg.norm(V, axis=1, keepdims=True)
    return V * np.maximum(1 - a / np.maximum(norms, 1e-300), 0.0)


def capped(s, eta, k):
    if np.sum(s > 0) <= k:
        return (s > 0).astype(float)
    lo, hi = 0.0, (eta + 1.0) / s[s > 0].min()
    for _ in range(64):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if np.clip(mid * s - eta, 0, 1).sum() < k else (lo, mid)
    return np.clip(0.5 * (lo + hi) * s - eta, 0, 1)


def structure(alpha, eta, k):
    """Clustered / shared-subspace penalty: value and gradient (it is smooth)."""
    c = alpha * eta * (1 + eta)

    def smooth(W):
        U, s, Vt = np.linalg.svd(W, full_matrices=False)
        g = capped(s, eta, k)
        return c * float(np.sum(s * s / (eta + g))), (U * (2 * c * s / (eta + g))) @ Vt

    return smooth, 2 * c / eta


def fista(X, Y, smooth, L_smooth, prox, value, target, max_iter):
    d, T = X.shape[1], Y.shape[1]
    L = lipschitz(X, Y) + L_smooth
    W, b = np.zeros((d, T)), np.nanmean(Y, axis=0)
    Wy, by, t = W.copy(), b.copy(), 1.0

    def objective(W, b):
        return squared_loss(X, Y, W, b)[0] + smooth(W)[0] + value(W)

    current = objective(W, b)
    for it in range(max_iter):
        if current <= target:
            return it
        _, gW, gb = squared_loss(X, Y, Wy, by)
        W_new = prox(Wy - (gW + smooth(Wy)[1]) / L, 1.0 / L)
        b_new = by - gb / L
        new = objective(W_new, b_new)
        if new > current:
            Wy, by, t = W.copy(), b.copy(), 1.0
            continue
        t_new = 0.5 * (1 + np.sqrt(1 + 4 * t * t))
        Wy = W_new + (t - 1) / t_new * (W_new - W)
        by = b_new + (t - 1) / t_new * (b_new - b)
        W, b, t, current = W_new, b_new, t_new, new
    return None


# -- the models --------------------------------------------------------------------


def cases(T):
    A = chain_graph(T).toarray()
    Lap = np.diag(A.sum(1)) - A
    top = float(np.linalg.eigvalsh(Lap)[-1])

    def graph_smooth(alpha):
        return (lambda W: (0.5 * alpha * float(np.sum(W * (W @ Lap))), alpha * W @ Lap),
                alpha * top)

    yield (
        "TaskGraph l21 (chain)",
        TaskGraphRegressor(graph=A, alpha=0.3, l21=0.02, l1=0.002),
        *graph_smooth(0.3),
        lambda V, s: group(soft(V, s * 0.002), s * 0.02),
        lambda W: 0.02 * np.linalg.norm(W, axis=1).sum() + 0.002 * np.abs(W).sum(),
    )
    smooth, L = structure(0.03, 0.1, 3)
    yield ("Clustered (k=3)", ClusteredRegressor(alpha=0.03, eta=0.1, n_clusters=3),
           smooth, L, lambda V, s: V, lambda W: 0.0)
    smooth, L = structure(0.03, 0.1, 2)
    yield ("SharedSubspace (h=2)",
           SharedSubspaceRegressor(alpha=0.03, eta=0.1, n_components=2),
           smooth, L, lambda V, s: V, lambda W: 0.0)
    a, l1, f = 0.02, 0.002, 0.02

    def fused_prox(V, s):
        return group(soft(tv_prox_rows(V, s * f), s * l1), s * a)

    yield ("FusedTask", FusedTaskRegressor(alpha=a, l1=l1, fused=f),
           lambda W: (0.0, 0.0), 0.0, fused_prox,
           lambda W: (a * np.linalg.norm(W, axis=1).sum() + l1 * np.abs(W).sum()
                      + f * np.abs(np.diff(W, axis=1)).sum()))


def ours_objective(X, Y, model, smooth, value):
    W, b = model.coef_.T, model.intercept_
    return squared_loss(X, Y, W, b)[0] + smooth(W)[0] + value(W)


def best_time(fn, repeat):
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    return min(times), out


def run(n, d, T, repeat, max_iter, models=()):
    X, Y = make_data(n, d, T)
    for name, model, smooth, L_smooth, prox, value in cases(T):
        if models and not any(name.startswith(m) for m in models):
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            star = ours_objective(X, Y, model.set_params(tol=1e-12, max_iter=100000)
                                  .fit(X, Y), smooth, value)
            target = star * (1 + TARGET)
            for tol in TOLERANCES:
                model.set_params(tol=tol)
                if ours_objective(X, Y, model.fit(X, Y), smooth, value) <= target:
                    break
            ours, _ = best_time(lambda model=model: model.fit(X, Y), repeat)
        reference, iters = best_time(
            lambda smooth=smooth, L_smooth=L_smooth, prox=prox, value=value,
            target=target: fista(X, Y, smooth, L_smooth, prox, value, target,
                                 max_iter), 1)
        if iters is None:
            reference = float("inf")
        print(f"{name:24s} n={n} d={d} T={T}  ours {ours:8.4f} s (tol={tol:.0e})  "
              f"FISTA {reference:8.3f} s ({iters} it)  ratio {ours / reference:.3f}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--max-iter", type=int, default=20000)
    parser.add_argument("--models", default="", help="comma-separated name prefixes")
    parser.add_argument("--no-large", action="store_true",
                        help="skip the large shape (n=5000, d=100, T=20)")
    args = parser.parse_args()
    from threadpoolctl import threadpool_limits

    shapes = [(100, 20, 6)] if args.quick else [(200, 100, 10), (500, 200, 20)]
    if not args.quick and not args.no_large:
        shapes.append((5000, 100, 20))  # many rows: FISTA's step costs n d T
    with threadpool_limits(1):
        for n, d, T in shapes:
            run(n, d, T, args.repeat, args.max_iter,
                [m for m in args.models.split(",") if m])


if __name__ == "__main__":
    main()
