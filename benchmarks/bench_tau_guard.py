"""The ADMMs' step-size guards, on and off, in one process.

The compiled ADMM (``skmtl/solvers/_stacked.py``, ``_admm_kernels.py``)
balances its step size ``tau`` with the residuals. Two guards were added by
the reliability sweep: ``tau`` is fixed once the certificate has not
improved for ``_stacked._FREEZE`` checks (a cycling ``tau`` made ADMM
drift), and ``tau`` stays within ``2^+-_admm_kernels._TAU_RANGE`` times its
initial ``sqrt(top small)`` (features scaled by 1e4 drove it 1e9 below);
the numpy ADMM of the spectral models (``_inner.admm``: trace norm, task
relation) balances relative residuals (``_inner._RELATIVE_RESIDUALS``)
instead of absolute ones, which depend on the scale of ``X``. "Off" sets the
first two out of reach and the third to False (the behaviour before).
Each fit at the model's defaults (strengths, ``tol``, ``max_iter``), one
BLAS thread; per fit: ``n_iter_``, a ConvergenceWarning or not, the median
of ``--repeat`` timings, and the ratio on / off.

Data: the shapes of bench_decomposed.py (AR(1) features, rho 0.9, 20 %
missing targets) and the sweep's cases (15 x 400 noiseless wide designs,
features scaled by 1e4 and 1e-4, a feature scaled by 1e3).

Run: ``python benchmarks/bench_tau_guard.py`` (``--repeat 3``).
"""

import argparse
import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import time  # noqa: E402
import warnings  # noqa: E402

import numpy as np  # noqa: E402
from bench_decomposed import decomposed_data  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402

import skmtl  # noqa: E402
from skmtl.solvers import _admm_kernels, _inner, _stacked  # noqa: E402

MODELS = ["RobustFeatureRegressor", "RobustLowRankRegressor", "SparseLowRankRegressor",
          "ClusteredRegressor", "SharedSubspaceRegressor", "FusedTaskRegressor",
          "TraceNormRegressor", "TaskRelationRegressor"]
ON = (_stacked._FREEZE, _admm_kernels._TAU_RANGE, True)
OFF = (10**9, 500, False)


def set_guards(guards):
    _stacked._FREEZE, _admm_kernels._TAU_RANGE, _inner._RELATIVE_RESIDUALS = guards


def cases():
    for shape in [(500, 50, 10), (100, 150, 10)]:
        yield f"AR(1) {shape}", *decomposed_data(*shape)
    for seed in (2, 3):
        rng = np.random.default_rng(seed)
        X = rng.standard_normal((15, 400))
        yield f"wide 15x400 s{seed}", X, X[:, :3] @ rng.standard_normal((3, 3))
    rng = np.random.default_rng(0)
    X = rng.standard_normal((40, 6))
    Y = X @ rng.standard_normal((6, 3)) + 0.1 * rng.standard_normal((40, 3))
    yield "X*1e4 (40, 6, 3)", 1e4 * X, Y
    yield "X*1e-4 (40, 6, 3)", 1e-4 * X, Y
    column = X.copy()
    column[:, 0] *= 1e3
    yield "X[:, 0]*1e3 (40, 6, 3)", column, Y


def fit(name, X, Y, guards):
    set_guards(guards)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        start = time.perf_counter()
        est = getattr(skmtl, name)().fit(X, Y)
        seconds = time.perf_counter() - start
    warned = any(issubclass(w.category, ConvergenceWarning) for w in caught)
    return est.n_iter_, warned, seconds


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(f"{'data':22s} {'model':24s} {'iter off':>8s} {'iter on':>8s} "
          f"{'warn off':>8s} {'warn on':>8s} {'off ms':>8s} {'on ms':>8s} "
          f"{'on/off':>7s}")
    for label, X, Y in cases():
        for name in MODELS:
            fit(name, X, Y, ON)  # compiled, caches warm
            runs = {g: [fit(name, X, Y, g) for _ in range(args.repeat)]
                    for g in (OFF, ON)}
            (n_off, w_off, _), (n_on, w_on, _) = runs[OFF][0], runs[ON][0]
            t_off = 1e3 * float(np.median([r[2] for r in runs[OFF]]))
            t_on = 1e3 * float(np.median([r[2] for r in runs[ON]]))
            print(f"{label:22s} {name:24s} {n_off:8d} {n_on:8d} {str(w_off):>8s} "
                  f"{str(w_on):>8s} {t_off:8.1f} {t_on:8.1f} {t_on / t_off:7.2f}",
                  flush=True)
    set_guards(ON)


if __name__ == "__main__":
    main()
