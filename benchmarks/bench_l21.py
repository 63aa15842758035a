"""Time of L21Regressor against scikit-learn's MultiTaskLasso at equal objective.

Protocol (one process, one BLAS thread):

* data: ``X`` with AR(1)-correlated columns (``rho = 0.6``), a row-sparse
  ``W`` (2 % of the features, at least 5), ``Y = X W + noise`` at
  signal-to-noise ratio 3; every entry observed (MultiTaskLasso's setting);
* ``alpha = 0.1 * alpha_max``;
* the optimum ``P*`` is our solver's value at ``tol=1e-12`` (checked against
  MultiTaskLasso at ``tol=1e-10``);
* for each solver, the loosest ``tol`` in 1e-4, 5e-5, 2e-5, 1e-5, ... whose objective is
  within ``0.5e-7`` of ``P*`` relatively, so the two timed objectives differ by
  at most 1e-7 relatively;
* each fit (``.fit(X, Y)``, input validation included) is timed ``--repeat``
  times; the minimum is kept.

Run: ``python benchmarks/bench_l21.py`` (``--quick`` for smaller shapes).
"""

import argparse  # noqa: I001 (_timing first: one BLAS thread before numpy loads)
import warnings

from _timing import best_time, make_data, one_blas_thread
import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import MultiTaskLasso

from skmtl import L21Regressor, alpha_max

SHAPES = [(500, 2000, 20), (2000, 500, 50), (200, 5000, 10)]
QUICK_SHAPES = [(200, 500, 10), (500, 200, 20), (100, 1000, 5)]
TOLERANCES = [m * 10.0**-k for k in range(4, 13) for m in (1.0, 0.5, 0.2)]
TARGET = 0.5e-7


def objective(X, Y, coef, intercept, alpha):
    residual = Y - X @ coef.T - intercept
    n = X.shape[0]
    return 0.5 / n * np.sum(residual**2) + alpha * np.sum(np.linalg.norm(coef, axis=0))


def fit_timed(make_model, X, Y, repeat):
    def fit():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            return make_model().fit(X, Y)

    return best_time(fit, repeat)


def loosest_tolerance(make_model, X, Y, alpha, optimum):
    for tol in TOLERANCES:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model = make_model(tol).fit(X, Y)
        value = objective(X, Y, model.coef_, model.intercept_, alpha)
        if (value - optimum) / optimum <= TARGET:
            return tol
    return TOLERANCES[-1]


def run_shape(n, d, T, repeat):
    X, Y = make_data(n, d, T)
    alpha = 0.1 * alpha_max(L21Regressor(), X, Y)

    def ours(tol):
        return L21Regressor(alpha=alpha, tol=tol, max_iter=100000)

    def sklearn(tol):
        return MultiTaskLasso(alpha=alpha, tol=tol, max_iter=100000)

    best = ours(1e-12).fit(X, Y)
    optimum = objective(X, Y, best.coef_, best.intercept_, alpha)
    check = sklearn(1e-10).fit(X, Y)
    sk_optimum = objective(X, Y, check.coef_, check.intercept_, alpha)
    tol_ours = loosest_tolerance(ours, X, Y, alpha, optimum)
    tol_sk = loosest_tolerance(sklearn, X, Y, alpha, optimum)
    t_ours, m_ours = fit_timed(lambda: ours(tol_ours), X, Y, repeat)
    t_sk, m_sk = fit_timed(lambda: sklearn(tol_sk), X, Y, repeat)
    p_ours = objective(X, Y, m_ours.coef_, m_ours.intercept_, alpha)
    p_sk = objective(X, Y, m_sk.coef_, m_sk.intercept_, alpha)
    return dict(
        shape=(n, d, T),
        support=int(np.sum(np.any(best.coef_ != 0, axis=0))),
        tol_ours=tol_ours,
        tol_sk=tol_sk,
        t_ours=t_ours,
        t_sk=t_sk,
        ratio=t_ours / t_sk,
        objective_diff=abs(p_ours - p_sk) / p_sk,
        optimum_agreement=abs(optimum - sk_optimum) / optimum,
    )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small shapes")
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args(argv)
    shapes = QUICK_SHAPES if args.quick else SHAPES
    header = (
        f"{'(n, d, T)':>18} {'support':>8} {'tol ours':>9} {'tol sk':>9} "
        f"{'ours s':>8} {'sklearn s':>9} {'ratio':>6} {'obj diff':>9} {'P* agree':>9}"
    )
    print(header)
    ratios = []
    with one_blas_thread():
        for n, d, T in shapes:
            r = run_shape(n, d, T, args.repeat)
            ratios.append(r["ratio"])
            print(
                f"{str(r['shape']):>18} {r['support']:>8} {r['tol_ours']:>9.0e} "
                f"{r['tol_sk']:>9.0e} {r['t_ours']:>8.4f} {r['t_sk']:>9.4f} "
                f"{r['ratio']:>6.2f} {r['objective_diff']:>9.1e} "
                f"{r['optimum_agreement']:>9.1e}",
                flush=True,
            )
    print(f"max ratio {max(ratios):.2f} (target <= 0.5)")


if __name__ == "__main__":
    main()
