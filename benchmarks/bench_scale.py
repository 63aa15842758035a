"""Memory and time of L21Regressor on large designs and on many tasks.

(a) ``--n`` rows (default 10^6), ``d = 100``, ``T = 10``, float32 ``X``,
    30 % of the targets missing (NaN in a dense float32 ``Y``):
    extra memory during ``fit`` = tracemalloc peak / ``X.nbytes``
    (target <= 1.5), and ``coef_.dtype == float32``.
(b) ``T`` tasks x 50 rows of their own, ``d = 50``, for ``T`` in 100, 1000,
    10000: fit time (best of ``--repeat`` fits, 3 by default, after a
    warm-up fit that loads the compiled kernels) and tracemalloc peak /
    ``X.nbytes``. ``Y`` is dense with
    NaN for 100 and 1000 tasks (also sparse for 1000, to compare), and a
    ``scipy.sparse`` CSC matrix whose stored entries are the observed targets
    for 10000 tasks (a dense one would take 40 GB). Targets: 10,000 tasks
    within 2 minutes, within 15x the 1,000-task time, extra memory <= 4x X.

Every fit: ``alpha = 0.1 alpha_max`` (computed before measuring), default
``tol`` and ``max_iter``, one BLAS thread. tracemalloc sees the allocations
of numpy and Python (not BLAS workspaces); the time is that of a separate
fit without tracing.

Run: ``python benchmarks/bench_scale.py`` (``--n 200000`` to shrink (a),
``--tasks 100 1000`` to skip the largest case of (b)).
"""

import argparse
import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import time  # noqa: E402
import tracemalloc  # noqa: E402
import warnings  # noqa: E402

import numpy as np  # noqa: E402
from scipy import sparse  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

from skmtl import L21Regressor, alpha_max  # noqa: E402

ROWS_PER_TASK, N_INFORMATIVE = 50, 10


def fit_once(model, X, Y, trace):
    """Fit; return (seconds, peak extra bytes or None, warned)."""
    if trace:
        tracemalloc.start()
        base = tracemalloc.get_traced_memory()[0]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        start = time.perf_counter()
        model.fit(X, Y)
        elapsed = time.perf_counter() - start
    peak = None
    if trace:
        peak = tracemalloc.get_traced_memory()[1] - base
        tracemalloc.stop()
    warned = any(issubclass(w.category, ConvergenceWarning) for w in caught)
    return elapsed, peak, warned


def measure(X, Y, repeat=1):
    """Time (best of ``repeat`` untraced fits) and memory (traced fit)."""
    alpha = 0.1 * alpha_max(L21Regressor(), X, Y)
    runs = [fit_once(L21Regressor(alpha=alpha), X, Y, trace=False)
            for _ in range(repeat)]
    seconds, _, warned = min(runs, key=lambda r: r[0])
    model = L21Regressor(alpha=alpha)
    _, peak, _ = fit_once(model, X, Y, trace=True)
    return dict(
        seconds=seconds,
        ratio=peak / X.nbytes,
        warned=warned,
        n_iter=model.n_iter_,
        dtype=model.coef_.dtype,
    )


# -- (a) one large float32 design ---------------------------------------------
def large_design(n, d=100, T=10, missing=0.3, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d), dtype=np.float32)
    W = np.zeros((d, T), dtype=np.float32)
    W[:N_INFORMATIVE] = rng.standard_normal((N_INFORMATIVE, T))
    Y = X @ W
    Y += rng.standard_normal(Y.shape, dtype=np.float32)
    Y[rng.random(Y.shape) < missing] = np.nan
    return X, Y


def run_large(n):
    X, Y = large_design(n)
    r = measure(X, Y)
    print(
        f"(a) n={n}, d=100, T=10, float32, 30% missing: fit {r['seconds']:.2f} s, "
        f"n_iter {r['n_iter']}, warning {'yes' if r['warned'] else 'no'}, "
        f"tracemalloc peak / X.nbytes = {r['ratio']:.2f} (target <= 1.5), "
        f"coef_.dtype = {r['dtype']} (float32 expected)",
        flush=True,
    )


# -- (b) many tasks with their own rows ---------------------------------------
def many_tasks(T, d=50, seed=0):
    """X (50 T, d) and the stacked targets as (rows, task, values)."""
    rng = np.random.default_rng(seed)
    n = T * ROWS_PER_TASK
    X = rng.standard_normal((n, d))
    W = np.zeros((d, T))
    W[rng.choice(d, N_INFORMATIVE, replace=False)] = rng.standard_normal(
        (N_INFORMATIVE, T)
    )
    task = np.repeat(np.arange(T), ROWS_PER_TASK)
    y = np.einsum("ij,ji->i", X, W[:, task]) + rng.standard_normal(n)
    return X, task, y


def dense_targets(task, y, T):
    Y = np.full((y.size, T), np.nan)
    Y[np.arange(y.size), task] = y
    return Y


def sparse_targets(task, y, T):
    return sparse.csc_matrix((y, (np.arange(y.size), task)), shape=(y.size, T))


def run_tasks(T, kind, repeat):
    X, task, y = many_tasks(T)
    make = dense_targets if kind == "dense" else sparse_targets
    try:
        r = measure(X, make(task, y, T), repeat)
    except (TypeError, ValueError) as error:
        print(
            f"(b) T={T:>5} {kind:>6} Y: sparse Y not supported yet "
            f"({type(error).__name__}: {str(error)[:100]})",
            flush=True,
        )
        return None
    print(
        f"(b) T={T:>5} {kind:>6} Y: fit {r['seconds']:8.2f} s, n_iter "
        f"{r['n_iter']:>5}, warning {'yes' if r['warned'] else 'no':>3}, "
        f"tracemalloc peak / X.nbytes = {r['ratio']:7.2f}",
        flush=True,
    )
    return r["seconds"]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10**6, help="rows of (a)")
    parser.add_argument("--tasks", type=int, nargs="+", default=[100, 1000, 10000])
    parser.add_argument("--skip-large", action="store_true", help="skip (a)")
    parser.add_argument("--repeat", type=int, default=3,
                        help="(b): best of this many untraced fits")
    args = parser.parse_args(argv)
    with threadpool_limits(1):
        # warm-up: the compiled kernels' cache load (about 0.6 s) and the
        # first use of the sparse-target path are not charged to any case
        X, task, y = many_tasks(20)
        L21Regressor(alpha=1.0).fit(X, sparse_targets(task, y, 20))
        L21Regressor(alpha=1.0).fit(X, dense_targets(task, y, 20))
        if not args.skip_large:
            run_large(args.n)
        times = {}
        for T in args.tasks:
            kinds = (
                ["sparse"]
                if T >= 10000
                else (["dense", "sparse"] if T >= 1000 else ["dense"])
            )
            for kind in kinds:
                times[T, kind] = run_tasks(T, kind, args.repeat)
    big = times.get((10000, "sparse"))
    for kind in ("dense", "sparse"):
        ref = times.get((1000, kind))
        if big is not None and ref is not None:
            print(
                f"10,000 tasks: {big:.1f} s (target <= 120 s), {big / ref:.1f}x "
                f"the 1,000-task time with {kind} Y (target <= 15x, dense)"
            )


if __name__ == "__main__":
    main()
