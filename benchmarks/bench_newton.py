"""Proximal Newton on multinomial tasks: Newton steps, wall time and the
ratio of successive KKT distances near the optimum, per classifier.

Data: ``n`` rows, ``d`` standardised features, ``T`` tasks of 3 classes
(softmax of a random linear model), every label observed; each classifier at
its default strengths and ``tol`` (``--tol`` to change it). The Newton steps
and KKT distances come from ``verbose=1``'s lines; the ratio reported is the
median of the last three ratios of successive KKT distances of the Newton
steps (below 0.1: superlinear; about 0.9: linear).

Run: ``python benchmarks/bench_newton.py [--n 300 --d 10 --T 3 --repeat 3]``
(1 BLAS thread). Each classifier is fitted with the exact-Hessian model
and with it switched off (the weighted least-squares model with the
isotropic bound of the class-coupled blocks, the method before), the runs
interleaved in one process; the table gives steps, ratio and median time of
each, "+pg" when proximal gradient took over, "!" for a ConvergenceWarning,
and the ratio of the median times.
"""

import argparse
import contextlib
import io
import re
import warnings

import _timing  # noqa: F401  (1 BLAS thread: before numpy)
import numpy as np

import skmtl

try:  # the exact-Hessian Newton model (absent before it was written)
    import skmtl.solvers._exact_newton as _exact

    _DEFAULT_ENTRIES = _exact._MAX_ENTRIES
except ImportError:  # pragma: no cover
    _exact = None

MODELS = [
    ("L21", lambda: skmtl.L21Classifier(alpha=0.01)),
    ("TraceNorm", lambda: skmtl.TraceNormClassifier(alpha=0.01)),
    ("Dirty", lambda: skmtl.DirtyClassifier()),
    ("RobustFeature", lambda: skmtl.RobustFeatureClassifier()),
    ("RobustLowRank", lambda: skmtl.RobustLowRankClassifier()),
    ("SparseLowRank", lambda: skmtl.SparseLowRankClassifier()),
    ("Clustered", lambda: skmtl.ClusteredClassifier()),
    ("SharedSubspace", lambda: skmtl.SharedSubspaceClassifier()),
    ("FusedTask", lambda: skmtl.FusedTaskClassifier()),
    ("TaskGraph l1", lambda: skmtl.TaskGraphClassifier(l1=0.01)),
    ("TaskGraph l21", lambda: skmtl.TaskGraphClassifier(l21=0.01)),
    ("TaskRelation", lambda: skmtl.TaskRelationClassifier()),
    ("MeanRegularized", lambda: skmtl.MeanRegularizedClassifier()),
]


def make_data(n, d, T, K=3, seed=0, cond=1.0):
    """Labels of ``T`` tasks with ``K`` classes; ``X`` standard normal
    rows times a random rotation with singular values from 1 down to
    ``1 / cond`` (condition number of ``X`` about ``cond``), columns
    standardised."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    if cond > 1:
        V, _ = np.linalg.qr(rng.standard_normal((d, d)))
        X = X @ (V * np.geomspace(1.0, 1.0 / cond, d)) @ V.T
        X /= X.std(axis=0)
    shared = rng.standard_normal((d, K))
    Y = np.empty((n, T), dtype=object)
    for t in range(T):
        logits = X @ (shared + 0.5 * rng.standard_normal((d, K)))
        P = np.exp(logits - logits.max(axis=1, keepdims=True))
        P /= P.sum(axis=1, keepdims=True)
        Y[:, t] = [f"c{rng.choice(K, p=p)}" for p in P]
    return X, Y


_STEP = re.compile(r"Newton step (\d+): kkt ([0-9.e+-]+)")


def fit_once(make, X, Y, tol):
    model = make().set_params(verbose=1, tol=tol)
    out = io.StringIO()
    record = warnings.catch_warnings(record=True)
    with record as caught, contextlib.redirect_stdout(out):
        warnings.simplefilter("always")
        elapsed, _, _ = _timing.timed(lambda: model.fit(X, Y))
    lines = out.getvalue().splitlines()
    kkts = [float(m.group(2)) for m in map(_STEP.search, lines) if m]
    fallback = any("outer" in line for line in lines)
    ratios = np.array(kkts[1:]) / np.array(kkts[:-1]) if len(kkts) > 1 else []
    ratio = float(np.median(ratios[-3:])) if len(ratios) else np.nan
    warned = any("Convergence" in type(w.message).__name__ for w in caught)
    return elapsed, len(kkts) - 1, ratio, fallback, warned


def _set_exact(on):
    """The exact-Hessian model on (default) or off (the weighted
    least-squares model with the isotropic bound: the previous method)."""
    if _exact is not None:
        _exact._MAX_ENTRIES = _DEFAULT_ENTRIES if on else 0


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=300)
    parser.add_argument("--d", type=int, default=10)
    parser.add_argument("--T", type=int, default=3)
    parser.add_argument("--tol", type=float, default=1e-6)
    parser.add_argument("--cond", type=float, default=1.0)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--only", default="")
    args = parser.parse_args()
    X, Y = make_data(args.n, args.d, args.T, cond=args.cond)
    print(f"n={args.n} d={args.d} T={args.T} (3 classes each) tol={args.tol} "
          f"(condition number of X {np.linalg.cond(X):.1e})")
    modes = [("isotropic", False), ("exact", True)] if _exact is not None else [
        ("as installed", True)]
    header = "".join(f" | {m:>10s} steps ratio  time s" for m, _ in modes)
    print(f"{'model':16s}{header} | exact/isotropic time")
    with _timing.one_blas_thread():
        for name, make in MODELS:
            if args.only and args.only not in name:
                continue
            cells, medians = [], []
            for _, on in modes:
                _set_exact(on)
                fit_once(make, X, Y, args.tol)  # compilation, caches
            runs = {on: [] for _, on in modes}
            for _ in range(args.repeat):  # interleaved: the same load for both
                for _, on in modes:
                    _set_exact(on)
                    runs[on].append(fit_once(make, X, Y, args.tol))
            for _, on in modes:
                times = sorted(r[0] for r in runs[on])
                _, steps, ratio, fallback, warned = runs[on][-1]
                median = times[len(times) // 2]
                medians.append(median)
                mark = ("+pg" if fallback else "") + ("!" if warned else "")
                cells.append(f" | {mark:>10s} {steps:5d} {ratio:5.3f} {median:7.3f}")
            speed = f"{medians[1] / medians[0]:.3f}" if len(medians) == 2 else ""
            print(f"{name:16s}{''.join(cells)} | {speed}", flush=True)
    _set_exact(True)


if __name__ == "__main__":
    main()
