"""skmtl against other solvers of the same problems, at equal objective.

Protocol (one process, one BLAS thread, best of ``--repeat`` fits):

* ``P*`` is the best objective found by any solver at its tightest ``tol``;
  every objective is computed by the numpy formulas of ``_objectives.py``;
* for each solver, the loosest ``tol`` in 1e-1, 3e-2, 1e-2, ..., 3e-15 whose objective
  is within ``--accuracy`` of ``P*`` relatively (1e-9 on School, 0.5e-7 on
  the shared designs as in ``bench_l21.py``, 1e-8 on Landmine); that ``tol``
  is timed.

Problems:

1. School, L2,1, tasks with their own rows, raw features centred per task
   (targets too, so every intercept is 0 and both sides fit without one),
   ``alpha = 0.1 alpha_max``: ``L21Regressor`` vs mutar's ``GroupLasso``.
   mutar takes ``X`` of shape (n_tasks, n, d), the same ``n`` for every
   task, and minimises ``1/(2 n) sum_t ||y_t - X_t w_t||^2 + a ||W||_21``
   (its coordinate descent multiplies ``a`` by ``n``). skmtl minimises
   ``sum_t 1/(2 n_t) ||y_t - X_t w_t||^2 + alpha ||W||_21``. Conversion: pad
   every task to ``n = max_t n_t`` rows with zero rows (zero residual) and
   multiply task ``t``'s rows of ``X`` and ``y`` by ``sqrt(n / n_t)``; then
   the two objectives coincide for ``a = alpha``.
2. Shared ``X`` (the shapes of ``bench_l21.py``), ``alpha = 0.1 alpha_max``:
   ``L21Regressor`` vs skglm's ``MultiTaskLasso`` and scikit-learn's
   ``MultiTaskLasso`` (all three: ``1/(2n) ||Y - XW - b||_F^2 + alpha
   ||W||_21``). skglm is compiled by numba: one fit on a small problem
   before any timing excludes the compilation.
3. Landmine, logistic L2,1 (all 29 tasks, all 14,820 rows),
   ``alpha = 0.1 alpha_max``: ``L21Classifier`` (``n_iter_`` = proximal
   Newton steps) vs FISTA with gradient-based restart written below in
   numpy, on the same objective.

Targets: School <= 1/20 of mutar's time; shared ``X`` <= 1/3 of each;
Landmine <= 1/4 of FISTA's.

Run: ``python benchmarks/bench_peers.py`` (``--quick``: smaller shapes,
fewer repeats; ``--only school|shared|landmine``). ``SKMTL_NO_NUMBA=1
python benchmarks/bench_peers.py`` measures skmtl without its compiled
kernels (numpy sweeps). The first use of the kernels in a fresh environment
(numba compilation, ``cache=True``) and in later processes (cache load) is
printed first; the timed fits exclude it.
"""

import argparse
import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import time  # noqa: E402
import warnings  # noqa: E402

import numpy as np  # noqa: E402
from _objectives import l21, logistic_loss, squared_loss  # noqa: E402
from bench_l21 import make_data  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.linear_model import MultiTaskLasso  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

from skmtl import L21Classifier, L21Regressor, alpha_max  # noqa: E402
from skmtl.datasets import load_landmine, load_school  # noqa: E402

SHAPES = [(500, 2000, 20), (2000, 500, 50), (200, 5000, 10)]
QUICK_SHAPES = [(200, 500, 10), (500, 200, 20)]
TOLERANCES = [m * 10.0**-k for k in range(1, 15) for m in (1.0, 0.3)]


# -- generic equal-objective timing ---------------------------------------------
def quiet_fit(make, tol, X, Y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        start = time.perf_counter()
        fitted = make(tol).fit(X, Y)
        return time.perf_counter() - start, fitted


def loosest_tol(make, value, X, Y, optimum, accuracy):
    for tol in TOLERANCES:
        _, fitted = quiet_fit(make, tol, X, Y)
        if (value(fitted) - optimum) / abs(optimum) <= accuracy:
            return tol
    return TOLERANCES[-1]


def compare(solvers, value, X, Y, accuracy, repeat):
    """``solvers``: name -> make(tol). Time each at its loosest adequate tol."""
    tightest = {n: quiet_fit(m, TOLERANCES[-1], X, Y)[1] for n, m in solvers.items()}
    optimum = min(value(f) for f in tightest.values())
    out = {}
    for name, make in solvers.items():
        tol = loosest_tol(make, value, X, Y, optimum, accuracy)
        runs = [quiet_fit(make, tol, X, Y) for _ in range(repeat)]
        t, fitted = min(runs, key=lambda r: r[0])
        gap = (value(fitted) - optimum) / abs(optimum)
        out[name] = dict(
            tol=tol, time=t, gap=gap, n_iter=getattr(fitted, "n_iter_", "")
        )
    return out


def report(title, results, reference, target):
    print(f"\n{title}")
    print(
        f"{'solver':>16} {'tol':>8} {'time s':>9} {'rel gap':>9} "
        f"{'n_iter':>7} {'ratio':>7}"
    )
    for name, r in results.items():
        ratio = results[reference]["time"] / r["time"]
        print(
            f"{name:>16} {r['tol']:>8.0e} {r['time']:>9.4f} {r['gap']:>9.1e} "
            f"{str(r['n_iter']):>7} {ratio:>7.3f}",
            flush=True,
        )
    print(f"(ratio = {reference} time / solver time; target <= {target})")


# -- 1. School against mutar --------------------------------------------------
def centred_school(data_home):
    school = load_school(data_home)
    X, Y, task = school.data.copy(), school.target.copy(), school.task
    for t in range(Y.shape[1]):
        rows = task == t
        X[rows] -= X[rows].mean(axis=0)
        Y[rows, t] -= Y[rows, t].mean()
    return X, Y, task


def mutar_layout(X, Y, task):
    """Padded (T, n_max, d) and (T, n_max), rows scaled by sqrt(n_max / n_t)."""
    sizes = np.bincount(task)
    n_max, T = sizes.max(), sizes.size
    X3, Y3 = np.zeros((T, n_max, X.shape[1])), np.zeros((T, n_max))
    for t in range(T):
        rows = task == t
        scale = np.sqrt(n_max / sizes[t])
        X3[t, : sizes[t]] = scale * X[rows]
        Y3[t, : sizes[t]] = scale * Y[rows, t]
    return X3, Y3


class MutarOnStacked:
    """mutar's GroupLasso behind the stacked ``fit(X, Y)`` of the benchmark."""

    def __init__(self, alpha, tol, X3, Y3):
        from mutar import GroupLasso

        self.model = GroupLasso(
            alpha=alpha, tol=tol, max_iter=1_000_000, fit_intercept=False
        )
        self.X3, self.Y3 = X3, Y3

    def fit(self, X, Y):
        self.model.fit(self.X3, self.Y3)
        self.coef_, self.n_iter_ = self.model.coef_.T, self.model.n_iter_
        return self


def school_vs_mutar(args):
    X, Y, task = centred_school(args.data_home)
    X3, Y3 = mutar_layout(X, Y, task)
    alpha = 0.1 * alpha_max(L21Regressor(fit_intercept=False), X, Y)
    MutarOnStacked(alpha, 1e-2, X3[:2, :5], Y3[:2, :5]).fit(None, None)  # JIT

    def value(m):
        return squared_loss(X, Y, m.coef_.T, 0.0) + alpha * l21(m.coef_.T)

    solvers = {
        "skmtl": lambda tol: L21Regressor(
            alpha=alpha, tol=tol, max_iter=100000, fit_intercept=False
        ),
        "mutar": lambda tol: MutarOnStacked(alpha, tol, X3, Y3),
    }
    results = compare(solvers, value, X, Y, 1e-9, args.repeat)
    report(
        f"School L2,1, alpha = 0.1 alpha_max = {alpha:.4g}", results, "skmtl", "0.05"
    )


# -- 2. shared X against skglm and scikit-learn ---------------------------------
def shared_shape(n, d, T, repeat):
    # skglm 0.5 has MultiTaskLasso (QuadraticMultiTask + L2_1 + MultiTaskBCD)
    from skglm import MultiTaskLasso as SkglmMTL

    X, Y = make_data(n, d, T)
    alpha = 0.1 * alpha_max(L21Regressor(), X, Y)

    def value(m):
        R = Y - X @ m.coef_.T - m.intercept_
        return 0.5 / n * np.sum(R**2) + alpha * l21(m.coef_.T)

    solvers = {
        "skmtl": lambda tol: L21Regressor(alpha=alpha, tol=tol, max_iter=100000),
        "skglm": lambda tol: SkglmMTL(alpha=alpha, tol=tol, max_iter=1000),
        "sklearn": lambda tol: MultiTaskLasso(alpha=alpha, tol=tol, max_iter=100000),
    }
    results = compare(solvers, value, X, Y, 0.5e-7, repeat)
    title = f"shared X (n, d, T) = {(n, d, T)}, alpha = 0.1 alpha_max"
    report(title, results, "skmtl", "0.333")


def shared_design(args):
    from skglm import MultiTaskLasso as SkglmMTL

    SkglmMTL(alpha=0.01).fit(*make_data(50, 30, 3, seed=1))  # numba compilation
    for n, d, T in QUICK_SHAPES if args.quick else SHAPES:
        shared_shape(n, d, T, args.repeat)


# -- 3. Landmine against FISTA --------------------------------------------------
class FistaL21Logistic:
    """FISTA with gradient restart for ``sum_t mean logistic + alpha ||W||_21``.

    Rows are contiguous by task (``load_landmine``); stops when the gradient
    mapping norm is at most ``tol`` times its value at zero.
    """

    def __init__(self, alpha, tol, max_iter=1_000_000):
        self.alpha, self.tol, self.max_iter = alpha, tol, max_iter

    def _setup(self, X, Y):
        mask = ~np.isnan(Y)
        self.task = np.argmax(mask, axis=1)
        self.y = np.nan_to_num(Y)[np.arange(Y.shape[0]), self.task]
        self.sizes = np.bincount(self.task)
        self.starts = np.r_[0, np.cumsum(self.sizes)[:-1]]
        self.Xa = np.column_stack([X, np.ones(X.shape[0])])
        blocks = np.split(self.Xa, np.cumsum(self.sizes)[:-1])
        self.L = max(np.linalg.norm(B, 2) ** 2 / (4 * B.shape[0]) for B in blocks)

    def _grad(self, V):
        """V: (T, d + 1) weights and intercepts per task."""
        z = np.einsum("ij,ij->i", self.Xa, V[self.task])
        r = (0.5 * (1 + np.tanh(0.5 * z)) - self.y) / self.sizes[self.task]
        return np.add.reduceat(self.Xa * r[:, None], self.starts, axis=0)

    def _prox(self, V):
        W = V[:, :-1]
        norms = np.linalg.norm(W, axis=0)
        shrink = np.maximum(1 - self.alpha / self.L / np.maximum(norms, 1e-300), 0)
        return np.column_stack([W * shrink, V[:, -1]])

    def fit(self, X, Y):
        self._setup(X, Y)
        V = np.zeros((self.sizes.size, X.shape[1] + 1))
        Z, t, ref = V.copy(), 1.0, None
        it = 0
        while it < self.max_iter:
            it += 1
            V_new = self._prox(Z - self._grad(Z) / self.L)
            mapping = self.L * np.linalg.norm(Z - V_new)
            ref = mapping if ref is None else ref
            if mapping <= self.tol * ref:
                V = V_new
                break
            if np.sum((Z - V_new) * (V_new - V)) > 0:  # restart
                t = 1.0
            t_new = 0.5 * (1 + np.sqrt(1 + 4 * t * t))
            Z = V_new + (t - 1) / t_new * (V_new - V)
            V, t = V_new, t_new
        self.coef_, self.intercept_, self.n_iter_ = V[:, :-1], V[:, -1], it
        return self


def landmine_vs_fista(args):
    data = load_landmine(args.data_home)
    X, Y = data.data, data.target
    alpha = 0.1 * alpha_max(L21Classifier(), X, Y)

    def value(m):
        return logistic_loss(X, Y, m.coef_.T, m.intercept_) + alpha * l21(m.coef_.T)

    solvers = {
        "skmtl": lambda tol: L21Classifier(alpha=alpha, tol=tol, max_iter=10000),
        "fista": lambda tol: FistaL21Logistic(alpha, tol),
    }
    results = compare(solvers, value, X, Y, 1e-8, args.repeat)
    report(
        f"Landmine logistic L2,1, alpha = 0.1 alpha_max = {alpha:.4g} "
        "(skmtl n_iter = Newton steps)",
        results,
        "skmtl",
        "0.25",
    )


# -- 4. the compiled kernels: what the first call costs -------------------------
def compile_cost():
    """Seconds of the first fit's kernel preparation in a fresh process:
    compiling (empty numba cache) and loading the cache (second process)."""
    import subprocess
    import sys
    import tempfile

    code = (
        "import time; t = time.perf_counter(); "
        "from skmtl.solvers import _kernels; "
        "i = time.perf_counter() - t; w = _kernels.warm_up(); "
        "print(f'{i:.2f} {w:.2f} {_kernels.AVAILABLE}')"
    )
    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, NUMBA_CACHE_DIR=cache)
        runs = [
            subprocess.run([sys.executable, "-c", code], env=env, check=True,
                           capture_output=True, text=True).stdout.split()
            for _ in range(2)
        ]
    if runs[0][2] != "True":
        print("\ncompiled kernels: numba unavailable or SKMTL_NO_NUMBA set")
        return
    print(
        f"\ncompiled kernels (numba, cache=True): first use in a fresh environment "
        f"{runs[0][1]} s (compilation), in later processes {runs[1][1]} s "
        f"(import of numba and cache load); timed fits below exclude it "
        f"(every timing is a best of several fits)"
    )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--repeat", type=int, default=None, help="best of k")
    parser.add_argument("--only", choices=["school", "shared", "landmine"])
    parser.add_argument(
        "--data-home", default=os.environ.get("SKMTL_DATA", "/work/shared/data")
    )
    args = parser.parse_args(argv)
    args.repeat = args.repeat or (2 if args.quick else 5)
    parts = dict(
        school=school_vs_mutar, shared=shared_design, landmine=landmine_vs_fista
    )
    if args.only is None or args.only == "shared":
        compile_cost()
    with threadpool_limits(1):
        for name, run in parts.items():
            if args.only in (None, name):
                run(args)


if __name__ == "__main__":
    main()
