"""Convergence of every skmtl model at its default tol and max_iter.

For each model (13 families, each as regressor and classifier; ``--families
core`` keeps the five of issue 7, ``breadth`` the eight of issue 9), each
strength and each data set:

* fit at the default ``tol`` and ``max_iter``; record whether a
  ConvergenceWarning was raised, ``n_iter_`` and the fit time;
* fit again at ``tol=1e-10`` (``max_iter=--ref-max-iter``): the reference;
* the relative objective gap ``(P_default - P_best) / |P_best|``, with
  ``P_best`` the smaller of the two objectives, both computed by the
  independent numpy formulas of ``_objectives.py`` (never by skmtl).

Strengths: ``alpha = f * alpha_max`` for ``f`` in 1, 1e-1, 1e-2, 1e-3 for the
L2,1 and trace-norm models; ``alpha`` in 1, 1e-1, 1e-2, 1e-3 for
MeanRegularized, TaskRelation and TaskGraph (chain graph, ``l1=0``), which
have no ``alpha_max``. The models of issue 9: every sparsity strength at ``f``
times its own ``alpha_max`` (``alpha_max(model, X, Y, param=...)``; both
strengths of a decomposed model, ``alpha`` of FusedTask, ``l21`` of
TaskGraph with a chain graph, "TaskGraphL21"), the other parameters at their
defaults; Clustered and SharedSubspace (no sparsity) at ``alpha = f``.

Data: ``make_ill_conditioned_tasks`` (tasks with their own rows, condition
number 1e4 and 1e5; labels for the classifiers) and School with raw features
(regressors only; ``--data-home`` or ``SKMTL_DATA``, default
/work/shared/data).

Run: ``python benchmarks/bench_convergence.py`` (``--quick``: a subset, < 2 min).
"""

import argparse
import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import time  # noqa: E402
import warnings  # noqa: E402

from _objectives import breadth_objective, chain_graph, objective  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

import skmtl  # noqa: E402
from skmtl.datasets import load_school, make_ill_conditioned_tasks  # noqa: E402

FAMILIES = ["L21", "TraceNorm", "MeanRegularized", "TaskGraph", "TaskRelation"]
WITH_ALPHA_MAX = {"L21", "TraceNorm"}
# issue 9: the sparsity strengths set from their alpha_max (None: alpha = f)
BREADTH = {
    "Dirty": ["alpha", "l1"],
    "RobustFeature": ["alpha", "beta"],
    "RobustLowRank": ["alpha", "beta"],
    "SparseLowRank": ["alpha", "l1"],
    "FusedTask": ["alpha"],
    "TaskGraphL21": ["l21"],
    "Clustered": None,
    "SharedSubspace": None,
}
FACTORS = [1.0, 1e-1, 1e-2, 1e-3]
QUICK_FACTORS = [1e-1, 1e-3]


def make_model(family, classification, n_tasks, **params):
    kind = "Classifier" if classification else "Regressor"
    name = "TaskGraph" if family == "TaskGraphL21" else family
    cls = getattr(skmtl, f"{name}{kind}")
    if name == "TaskGraph":
        params["graph"] = chain_graph(n_tasks)
    return cls(**params)


def strengths(family, model, X, Y, factor):
    """The strength parameters of ``family`` at ``factor``."""
    if family in BREADTH:
        names = BREADTH[family]
        if names is None:
            return {"alpha": factor}
        return {p: factor * skmtl.alpha_max(model, X, Y, param=p) for p in names}
    if family in WITH_ALPHA_MAX:
        return {"alpha": factor * skmtl.alpha_max(model, X, Y)}
    return {"alpha": factor}


def datasets(args):
    """``(name, X, Y, classification)`` for every data set of the run."""
    kappas = [1e4] if args.quick else [1e4, 1e5]
    size = dict(n_tasks=10, n_rows_per_task=40, n_features=30) if args.quick else {}
    for kappa in kappas:
        for classification in (False, True):
            X, Y = make_ill_conditioned_tasks(
                condition_number=kappa,
                classification=classification,
                random_state=0,
                **size,
            )
            yield f"cond {kappa:.0e}", X, Y, classification
    if not args.quick:
        school = load_school(args.data_home)
        yield "School raw", school.data, school.target, False


def fit(model, X, Y):
    """Fit; return (time, warned)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        start = time.perf_counter()
        model.fit(X, Y)
        elapsed = time.perf_counter() - start
    warned = any(issubclass(w.category, ConvergenceWarning) for w in caught)
    return elapsed, warned


def run_one(family, data, factor, ref_max_iter):
    name, X, Y, classification = data
    n_tasks = Y.shape[1]
    model = make_model(family, classification, n_tasks)
    params = strengths(family, model, X, Y, factor)
    model.set_params(**params)
    value = breadth_objective if family in BREADTH else objective
    elapsed, warned = fit(model, X, Y)
    p_default = value(model, X, Y, family, classification)
    ref = make_model(family, classification, n_tasks, tol=1e-10, **params)
    ref.set_params(max_iter=ref_max_iter)
    _, ref_warned = fit(ref, X, Y)
    p_ref = value(ref, X, Y, family, classification)
    best = min(p_default, p_ref)
    relative = family in WITH_ALPHA_MAX or (family in BREADTH and BREADTH[family])
    label = "L21" if family == "TaskGraphL21" else ""
    return dict(
        data=name,
        model=type(model).__name__ + label,
        strength=f"{factor:g}{'*amax' if relative else ''}",
        warned=warned,
        n_iter=model.n_iter_,
        time=elapsed,
        gap=(p_default - best) / abs(best),
        ref_warned=ref_warned,
    )


def print_row(r):
    print(
        f"{r['data']:>11} {r['model']:>29} {r['strength']:>10} "
        f"{'yes' if r['warned'] else 'no':>5} {r['n_iter']:>7} {r['time']:>8.3f} "
        f"{r['gap']:>9.1e} {'yes' if r['ref_warned'] else 'no':>8}",
        flush=True,
    )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="subset, < 2 min")
    parser.add_argument("--ref-max-iter", type=int, default=20000)
    parser.add_argument("--families", choices=["all", "core", "breadth"],
                        default="all", help="core: issue 7's five; breadth: issue 9's")
    parser.add_argument(
        "--data-home", default=os.environ.get("SKMTL_DATA", "/work/shared/data")
    )
    args = parser.parse_args(argv)
    factors = QUICK_FACTORS if args.quick else FACTORS
    families = dict(core=FAMILIES, breadth=list(BREADTH),
                    all=FAMILIES + list(BREADTH))[args.families]
    ref_max_iter = 2000 if args.quick else args.ref_max_iter
    print(
        f"{'data':>11} {'model':>29} {'strength':>10} {'warn':>5} {'n_iter':>7} "
        f"{'fit s':>8} {'rel gap':>9} {'ref warn':>8}"
    )
    rows = []
    with threadpool_limits(1):
        for data in datasets(args):
            for family in families:
                for factor in factors:
                    rows.append(run_one(family, data, factor, ref_max_iter))
                    print_row(rows[-1])
    clean = sum(not r["warned"] for r in rows)
    worst = max(rows, key=lambda r: r["gap"])
    print(
        f"{clean} of {len(rows)} fits converged without warning; worst relative "
        f"objective gap {worst['gap']:.1e} ({worst['model']}, {worst['data']}, "
        f"{worst['strength']}); {sum(r['ref_warned'] for r in rows)} reference "
        f"fits (tol=1e-10, max_iter={ref_max_iter}) warned"
    )


if __name__ == "__main__":
    main()
