r"""ADMM on the quadratic model of ``X`` for decomposed models (``W = P + Q``).

A decomposed model (:class:`~skmtl.penalties._decomposed.BlockPenalty`) is
posed over the stacked ``[P; Q]`` with the design ``[X, X]``. Its quadratic
model never needs the Gram of the stacked design: with ``S = P + Q`` and
``H_t`` the Gram of ``X`` (profiled intercepts, :mod:`._gram`) the Hessian
of the stacked smooth part is ``1 1^T (x) H``, so

* a product with it is one product ``(H_t s_t)_t`` (:class:`StackedModel`),
* the ADMM step ``(1 1^T (x) H + sigma I)^{-1} R`` needs only the
  eigendecomposition of ``H`` (:func:`_structured_solve`),

where the generic route (:func:`._inner.admm` on ``problem.gram``) builds,
stores and eigendecomposes Grams of side ``2 d``: four times the entries,
eight times the eigendecomposition, four times every product, and it
applies them with ``einsum``, here batched BLAS products. Same algorithm
otherwise (exact solves alternating with the blocks' proxes, ``tau``
balanced between the residuals, the duality gap at ``V`` every few
iterations, :class:`._inner.Certificate`).
"""

import numpy as np
from scipy import sparse

from ..penalties import L1, TraceNorm
from ..penalties._decomposed import BlockPenalty, TaskGroupNorm
from . import _admm_kernels
from ._gram import GramModel, gram_model
from ._inner import Certificate, _Progress, anderson_weights

_STALL = 20  # checks without progress


class StackedModel(GramModel):
    """The quadratic model of ``[X, ..., X]`` (``B`` copies) from the one of ``X``."""

    def __init__(self, base, n_blocks):
        B = n_blocks
        x_mean = None if base.x_mean is None else np.vstack([base.x_mean] * B)
        super().__init__(np.arange(B * base.n_features), np.vstack([base.C] * B),
                         base.k, base.y_mean, x_mean)
        self.base, self.n_blocks = base, B
        self.shared = base.shared
        self.scale = base.scale
        self._product = batched_product(base)

    def sum_blocks(self, W):
        return W.reshape(self.n_blocks, -1, W.shape[1]).sum(axis=0)

    def hessian_product(self, W):
        return np.vstack([self._product(self.sum_blocks(W))] * self.n_blocks)


def batched_product(model):
    """``S -> (H_t s_t)_t`` by BLAS: one GEMM (shared Gram) or one batched
    matrix-vector product over the columns (``H`` laid out (T, s, s))."""
    if model.shared:
        gram, scale = model.gram, model.scale
        return lambda S: (gram @ S) * scale
    H = model.column_grams()  # (T, s, s)

    def product(S):
        return np.matmul(H, S.T[:, :, None])[:, :, 0].T

    return product


def stacked_design(problem, n_blocks):
    """Whether the design is ``[X, ..., X]`` (every entry compared: ``O(n d)``,
    against the ``O(n d^2)`` of the Gram)."""
    X, d = problem.X, problem.n_features // n_blocks
    if d * n_blocks != problem.n_features:
        return False
    if problem.n_blocks == n_blocks:  # declared (built so) or compared before
        return True
    first = X[:, :d]
    for b in range(1, n_blocks):
        block = X[:, b * d:(b + 1) * d]
        if sparse.issparse(X):
            if (first != block).nnz:
                return False
        elif not np.array_equal(first, block):
            return False
    if n_blocks > 1 and problem.n_blocks == 1:
        problem.declare_stacked(n_blocks, first)  # compared: not again
    return True


def _own_penalty(penalty):
    """The models helper's spectral penalties, solved here by the same ADMM
    with one block (its products by BLAS, not ``einsum``)."""
    from ..penalties._clustered import ClusterPenalty
    from ..penalties._fused import FusedGroupLasso

    return isinstance(penalty, (ClusterPenalty, FusedGroupLasso))


def stacked_model(problem):
    """:class:`StackedModel` of a decomposed squared-loss problem (or of a
    one-block problem with a penalty of :func:`_own_penalty`), or None."""
    from ..penalties._decomposed import BlockPenalty

    penalty = problem.penalty
    if problem.coupling is not None:
        return None
    if isinstance(penalty, BlockPenalty):
        B = len(penalty.penalties)
        if not stacked_design(problem, B):
            return None
    elif _own_penalty(penalty):
        B = 1
    else:
        return None
    d = problem.n_features // B
    if not problem.gram_affordable(d):
        return None
    return StackedModel(gram_model(problem, np.arange(d)), B)


def decomposed_admm(problem, model, W0, b0, *, tol, max_iter, verbose, kkt_tol):
    """Minimise a decomposed squared-loss problem by :func:`admm` on ``model``."""
    from ._minimize import (
        criterion_of,
        final_result,
        model_scales,
        start_point,
        tolerance_scales,
    )

    W, b = start_point(problem, W0, b0)
    # from the model (W = 0: its linear term), not a product with [X, X]
    scales = model_scales(problem, model) or tolerance_scales(problem)
    criterion, threshold = criterion_of(problem, kkt_tol, tol, scales)
    solve = dirty_descent if dirty_applies(problem) else admm
    certificate = (ColumnScaledCertificate if _column_scaling_pays(problem, solve)
                   else Certificate)(problem, model, criterion)
    # half the threshold: the reported certificate (model_result, or the
    # design's) may differ from the solver's by rounding. Stopping at 0.9 of
    # it when the model's certificate is the reported one (tried): 35 instead
    # of 40 ADMM iterations for RobustLowRank at (5000, 100, 20), tol=1e-4, but
    # its objective 2.5e-6 from the optimum instead of 1.9e-7 (its gap, 30
    # times larger, still certified: bench_decomposed.py then needs 1e-5)
    W, HW, n_iter, status = solve(
        model, problem, W, certificate, tol=0.5 * threshold, max_iter=max_iter)
    name = "coordinate descent" if solve is dirty_descent else "ADMM"
    if status == "crawling":
        # the descent's rate says max_iter will not do (weak strengths for
        # the targets' scale: both parts nearly free, the split between them
        # nearly flat); ADMM's rate does not degrade so: it goes on from here
        W, HW, more, status = admm(model, problem, W, certificate,
                                   tol=0.5 * threshold, max_iter=max_iter - n_iter)
        n_iter += more
        name = "coordinate descent, then ADMM"
    if verbose:
        print(f"[skmtl] {name} (stacked model): {n_iter} iterations, {status}")
    result = model_result(problem, model, W, HW, n_iter, status, criterion,
                          threshold, name, certificate.best_dual)
    if result is not None:
        return result
    return final_result(
        problem, W, model.intercept(W), n_iter, status, criterion, threshold,
        name, certificate.best_dual,
    )


_ROUNDING = 64.0  # the moments' rounding bound, in units of n eps
_MARGIN = 0.01  # that bound at most this fraction of the threshold


def _model_certifies(problem, model, S, k, cw, primal, threshold):
    """Whether the model's rounding bound (:func:`model_result`) at ``S =
    sum of the blocks`` (``k = sum_t k_t``, ``cw = <C, S>``, objective
    ``primal``) is at most ``_MARGIN`` of ``threshold`` (as a gap measure)."""
    from ._minimize import gap_measure

    base = model.base
    if getattr(model, "_traces", None) is None:
        model._traces = np.sum(base.diagonal(), axis=0)  # tr H_t
    size = float(np.dot(np.einsum("jt,jt->t", S, S), model._traces))
    rounding = (_ROUNDING * problem.X.shape[0] * np.finfo(float).eps
                * (k + 2.0 * abs(cw) + size))
    return bool(np.isfinite(rounding)
                and gap_measure(problem, rounding, primal) <= _MARGIN * threshold)


def model_result(problem, model, W, HW, n_iter, status, criterion, threshold,
                 solver, best_dual):
    """:func:`._minimize.final_result`'s certificates from the quadratic
    model instead of another pass over the design, or None.

    With the profiled intercepts the loss at ``W`` is ``(k - 2 <C, W> + <W,
    H W>) / 2`` and its gradient ``H W - C`` exactly (:mod:`._gram`): the
    same primal, dual point, gap and KKT distance as from the design's
    residuals, but for rounding, which cancels in ``k - 2 <C, W> + <W, H
    W>`` and, for Grams by subtraction, in ``H``. Taken only when a bound of
    that rounding, ``_ROUNDING n eps (k + 2 |<C, W>| + sum_t ||s_t||^2 tr
    H_t)`` (``tr H_t`` bounds ``|s|^T |dH_t| |s| / (n eps)`` entrywise by
    Cauchy-Schwarz), counts at most ``_MARGIN`` of the threshold; else the
    design decides (None: the caller's :func:`final_result`).
    """
    from ._minimize import Result, gap_measure

    if (criterion != "duality_gap" or not problem.has_duality_gap
            or not isinstance(model, StackedModel)):
        return None
    base = model.base
    S = model.sum_blocks(W)
    k = float(np.sum(base.k))
    cw = float(np.vdot(S, base.C))
    # a fresh product: a solver's HW may carry its updates' rounding (the
    # dirty model's descent updates H S row by row)
    HS = model._product(S)
    HW = np.vstack([HS] * model.n_blocks)
    shs = float(np.vdot(S, HS))
    rr = max(k - 2.0 * cw + shs, 0.0)
    G = model.gradient(W, HW) + problem.quadratic_gradient(W)
    primal = problem.primal_from_moments(W, 0.5 * rr)
    if not _model_certifies(problem, model, S, k, cw, primal, threshold):
        return None
    dual = max(problem.dual_at(W, G, k - cw, rr), best_dual)
    gap = max(primal - dual, 0.0)
    kkt = problem.kkt_violation(W, G, None)
    measure = gap_measure(problem, gap, primal)
    if measure <= threshold:
        status = "converged"
    elif status == "converged":
        status = "stalled"
    return Result(W, model.intercept(W), n_iter, status, kkt, gap, criterion,
                  measure, threshold, solver)


def _column_scaling_pays(problem, solve):
    """Whether :class:`ColumnScaledCertificate` is used: ADMM on a trace norm
    block beside a block separating over the tasks (RobustLowRank,
    SparseLowRank). On ``bench_decomposed.py``'s fits at ``tol=1e-4`` its
    point beat the one scaling at 4-9 of their 7-9 offers there (ADMM
    iterations 64 -> 49, 66 -> 65 at 5000 rows, 51 -> 45 and 74 -> 63 on
    the two small shapes); beside L2,1 (RobustFeature) at 0-3 of 6-7
    (iterations unchanged), and the dirty model's descent kept its epochs:
    there it would only cost (35-50 us an offer)."""
    penalty = problem.penalty
    if solve is not admm or type(penalty) is not BlockPenalty:
        return False
    kinds = {type(p) for p in penalty.penalties}
    return TraceNorm in kinds and bool(kinds & {TaskGroupNorm, L1})


class ColumnScaledCertificate(Certificate):
    r""":class:`._inner.Certificate` with one more dual point at every
    offer: the residuals of ``W`` scaled column by column.

    The dual of the squared loss separates over the columns: the residuals
    ``r_t`` of column ``t`` scaled by ``c_t`` give ``c_t yr_t - c_t^2 rr_t /
    2`` (its moments, from the model) and the gradient columns ``c_t g_t``.
    Where a block's dual norm separates over the tasks (task groups' norms,
    L1 entries), ``c_t = min(1, alpha / N*(g_t))`` meets it
    task by task; then one factor ``s = min(1, 1 / N*(G diag(c)))`` (the
    block penalty's dual norm, as for one scaling) makes the point feasible
    for every block. One scaling for all columns (:meth:`Problem.dual_at`)
    pays for the column that violates most in every column. Both points
    from the same moments and gradient, the spectral norms from the
    eigenvalues of the small Gram ``G^T G`` (:func:`_block_dual_norm`).
    """

    def offer(self, W, HW):
        duals = None
        if self.criterion == "duality_gap":
            duals = stacked_duals(self.problem, self.model, W, HW)
        if duals is None:
            super().offer(W, HW)
            return
        uniform, scaled = duals
        best = uniform if scaled is None else max(uniform, scaled[0])
        if best > self.best_dual:
            self.best_dual, self.best_point = best, W


def _largest_eigenvalue(A):
    """Largest eigenvalue of the symmetric ``A`` (LAPACK ``syevd`` without
    vectors: 6 against 10 us for numpy's ``eigvalsh`` at 10 x 10)."""
    from scipy.linalg import lapack

    values, info = lapack.dsyevd(A, compute_v=0)[0::2]
    if info != 0:
        return float(np.linalg.eigvalsh(A)[-1])
    return float(values[-1])


def _block_dual_norm(penalty, V, columns=None):
    """``max_b N_b*(V) / alpha_b`` of a :class:`BlockPenalty` whose blocks all
    see ``V`` (the stacked gradient repeats it): as its ``dual_norm`` on
    ``[V; ...; V]``, with the spectral norm (trace norm blocks) from the
    largest eigenvalue of ``V^T V`` or ``V V^T`` (the smaller; LAPACK
    ``syevd``, about half the time of an SVD for the shapes here).
    ``columns``, a list: receives ``(alpha, N*(V_t))`` per column for the
    blocks whose dual norm separates over the tasks (task groups, L1)."""
    norm = 0.0
    for p in penalty.penalties:
        kind = type(p)
        if kind is TraceNorm and V.size:
            small = V.T @ V if V.shape[0] >= V.shape[1] else V @ V.T
            value = float(np.sqrt(max(_largest_eigenvalue(small), 0.0)))
        elif (kind is TaskGroupNorm or kind is L1) and V.size:
            if kind is TaskGroupNorm:
                per = p.norms(V)[p._task]
            else:
                per = np.abs(V).max(axis=0)
            value = float(per.max())
            if columns is not None:
                columns.append((p.alpha, per))
        else:
            value = p.dual_norm(V)
        norm = max(norm, value / p.alpha)
    return norm


def stacked_duals(problem, model, W, HW):
    """``(dual value of the one scaling, column_scaled_dual(...))`` at ``W``
    for a decomposed problem without ridge (None otherwise)."""
    penalty = problem.penalty
    if (type(penalty) is not BlockPenalty or not isinstance(model, StackedModel)
            or not penalty.conjugate_is_indicator or problem.ridge > 0
            or not problem.has_duality_gap):
        return None
    base = model.base
    C, S = base.C, model.sum_blocks(W)
    HS = HW[:base.n_features]
    cs = (C * S).sum(axis=0)
    shs = (S * HS).sum(axis=0)
    G = HS - C  # every block's gradient
    # the one scaling, from the totals (as Problem.dual_at on the model's moments)
    k, total = float(base.k.sum()), float(cs.sum())
    yr, rr = k - total, max(k - 2.0 * total + float(shs.sum()), 0.0)
    columns = []
    norm = _block_dual_norm(penalty, G, columns)
    scale = min(1.0, 1.0 / norm) if norm > 0 else 1.0
    uniform = scale * yr - 0.5 * scale * scale * rr
    if norm <= 1.0 or not columns:  # no column to scale
        return uniform, None
    c = np.ones(G.shape[1])
    for alpha, per in columns:
        c = np.minimum(c, alpha / np.maximum(per, alpha))
    if np.all(c == 1.0):
        return uniform, None  # the point of the one scaling
    norm = _block_dual_norm(penalty, G * c)
    if norm > 1.0:
        c = c / norm
    yr_t = base.k - cs
    rr_t = np.maximum(base.k - 2.0 * cs + shs, 0.0)
    return uniform, (float(np.sum(c * yr_t - 0.5 * c * c * rr_t)), c)


def column_scaled_dual(problem, model, W, HW):
    """``(dual value, c)`` of :class:`ColumnScaledCertificate` at ``W`` (``c``
    the columns' scales of the residuals, feasibility factor included), or
    None (not a decomposed problem without ridge, no block separates over
    the tasks, or none needs a scale)."""
    duals = stacked_duals(problem, model, W, HW)
    return None if duals is None else duals[1]


def _structured_solve(model, R, shift):
    """``(K + shift I)^{-1} R`` for the stacked Hessian ``K = 1 1^T (x) H``:
    the sum ``S`` of the blocks solves ``(B H + shift) S = sum_b R_b``, then
    ``W_b = (R_b - H S) / shift`` (one eigendecomposition of ``H``; ``S``
    and ``H S`` from one product with the eigenvectors: only ``H S`` is
    needed)."""
    B = model.n_blocks
    values, vectors = model.base.eigen()
    total = model.sum_blocks(R)
    if model.shared:
        values = np.outer(values, model.scale)  # (s, T)
        coeffs = (vectors.T @ total) / (B * values + shift)
        HS = vectors @ (values * coeffs)
    else:  # vectors (T, s, s), values (T, s)
        coeffs = np.matmul(vectors.transpose(0, 2, 1), total.T[:, :, None])[:, :, 0]
        coeffs /= B * values + shift
        both = np.matmul(vectors, np.stack([coeffs, values * coeffs], axis=2))
        HS = both[:, :, 1].T
    return (R - np.vstack([HS] * B)) / shift


def admm(model, problem, W, certificate, *, tol, max_iter, check_every=4):
    """ADMM on ``q(W) + Omega(V)``, ``W = V``, with :func:`_structured_solve`
    (as :func:`._inner.admm`); returns ``V, HV, n_iter, status``."""
    penalty, ridge = problem.penalty, problem.ridge
    V = np.array(W, dtype=np.float64)
    step = _admm_kernels.stepper(model, problem, _RELAX)
    if step is not None:  # compiled iterations (per-column Grams: no eigh)
        tau = step.initial_tau
        U = -certificate.gradient(V, model.hessian_product(V)) / tau
        return _compiled_admm(step, model, certificate, V, U, tau, tol, max_iter)
    values = model.base.eigen()[0]
    scale = model.scale.max() if model.shared else 1.0
    top = model.n_blocks * float(values.max(initial=0.0)) * scale
    positive = values[values > 1e-10 * max(top, 1e-300)]
    small = top
    if positive.size:
        small = model.n_blocks * float(np.median(positive)) * scale
    tau = max(np.sqrt(max(top, 1e-12) * max(small, 1e-12)), 1e-12)
    # the scaled dual variable at a solution is -grad / tau: from a warm start
    # ADMM then starts at its fixed point instead of moving away from it
    U = -certificate.gradient(V, model.hessian_product(V)) / tau
    progress = _Progress()
    for n_iter in range(max_iter):
        if n_iter % check_every == 0:
            HV = model.hessian_product(V)
            measure = certificate.measure(V, HV)
            if measure <= tol:
                return V, HV, n_iter, "converged"
            # ADMM is not monotone: no stall before it has moved on (the
            # start may be better than the first iterates)
            if n_iter and progress.stalled(certificate.objective(V, HV), measure,
                                           _STALL):
                return V, HV, n_iter, "stalled"
        W = _structured_solve(model, model.C + tau * (V - U), ridge + tau)
        V_old = V
        V = penalty.prox_value(W + U, 1.0 / tau)[0]
        U += W - V
        primal = np.sqrt(np.vdot(W - V, W - V))
        dual = tau * np.sqrt(np.vdot(V - V_old, V - V_old))
        if primal > 10 * dual:
            tau *= 2.0
            U /= 2.0
        elif dual > 10 * primal:
            tau /= 2.0
            U *= 2.0
    return V, model.hessian_product(V), max_iter, "max_iter"


_RELAX = 1.6  # over-relaxation of the compiled iterations (about 1/3 fewer)
_FIRST_CHECKS = 4  # compiled iterations before the first certificates
# compiled iterations between certificates, at most: 12 for decomposed models
# (a plateau of the gap made the predicted rate small and runs of 25
# overshoot: RobustLowRank at (5000, 100, 20) 49 -> 40 iterations, see
# benchmarks/README.md), 25 for one block (the clustered and fused
# penalties: their fits as before)
_MAX_BETWEEN = 12
_MAX_BETWEEN_ONE_BLOCK = 25
_FREEZE = 3  # certificates without progress before tau is fixed


def _compiled_admm(step, model, certificate, V, U, tau, tol, max_iter):
    """:func:`admm` with its iterations compiled (:mod:`._admm_kernels`) and
    the certificate evaluated between runs of iterations whose length is
    predicted from the measure's rate of decrease (between
    ``_FIRST_CHECKS`` and ``_MAX_BETWEEN``): a duality gap costs several
    compiled iterations."""
    progress, n_iter, between, previous = _Progress(), 0, _FIRST_CHECKS, None
    frozen = False
    # a cold start (V = 0, U = -grad / tau = C / tau): the first solve is of a
    # zero right-hand side, and when tau then jumps its factors are not made
    zero_start = not V.any()
    problem = certificate.problem
    while True:
        HV = model.hessian_product(V)
        measure, value = _measure(problem, certificate, V, HV)
        if measure <= tol:
            return V, HV, n_iter, "converged"
        if n_iter and progress.stalled(value, measure, _STALL):
            return V, HV, n_iter, "stalled"
        if n_iter >= max_iter:
            return V, HV, n_iter, "max_iter"
        if previous is not None and 0 < measure < previous and tol > 0:
            rate = np.log(previous / measure) / between  # per iteration
            needed = np.ceil(np.log(measure / tol) / rate)
            most = _MAX_BETWEEN if model.n_blocks > 1 else _MAX_BETWEEN_ONE_BLOCK
            between = int(min(max(needed, _FIRST_CHECKS), most))
        previous = measure
        between = min(between, max_iter - n_iter)
        V = V.copy()  # the certificate may keep the previous point
        # tau is fixed once the certificate stops improving: a tau that keeps
        # jumping to the residuals' balance may cycle (1.9 <-> 7.7 every 5
        # iterations on a 15 x 400 robust-feature fit) and ADMM with a cycling
        # tau can diverge; with tau fixed it converges
        frozen = frozen or progress.count >= _FREEZE
        jump = 1.0 if frozen else _admm_kernels._JUMP
        tau = step(between, V, U, tau, zero_start and n_iter == 0, jump)
        n_iter += between
        # a second dual point: the residuals of the last exact solve's W (a
        # minimiser of q plus a quadratic, not of a prox: its gradient is
        # often nearer the dual balls; any point's rescaled residuals are
        # dual feasible). At tol=1e-4 on bench_decomposed.py's nine ADMM
        # fits: 3-20 % fewer iterations on seven, 2-3 more on two
        W = step.last_solve.copy()
        certificate.offer(W, model.hessian_product(W))


__all__ = ["StackedModel", "admm", "decomposed_admm", "stacked_model", "stacked_solve"]


def dual_norm_bound(first, second, d, c):
    """``k`` with ``N1*(V) <= k N2*(V)`` for every (d, c) matrix ``V`` (the
    dual norms of two blocks' penalties), or None when not tabulated.

    Row maxima of ``|.|_1`` (L-inf,1), entries (L1), row norms (L2,1), task
    groups' Frobenius norms (``K`` columns each, ``n`` tasks) and the spectral
    norm (trace norm): ``||v_j||_1 <= c max|v|``; ``sigma_max <= ||V||_F <=
    sqrt(d c) max|v|``; ``||v_j|| <= sqrt(n) max_t ||V_t||_F``; ``||V_t||_F <=
    sqrt(d) max_j ||v_j||``; ``sigma_max <= sqrt(n) max_t ||V_t||_F``;
    ``||V_t||_F <= sqrt(K) sigma_max``; and every norm here bounds ``max|v|``.
    """
    from ..penalties import L1, L21, TraceNorm
    from ..penalties._decomposed import LInf1, TaskGroupNorm

    kinds = (type(first), type(second))
    if isinstance(second, TaskGroupNorm):
        sizes = np.diff(second.starts)
        n, K = sizes.size, int(sizes.max(initial=1))
    if isinstance(first, TaskGroupNorm):
        K = int(np.diff(first.starts).max(initial=1))
    table = {
        (LInf1, L1): lambda: c,
        (TraceNorm, L1): lambda: np.sqrt(d * c),
        (L1, LInf1): lambda: 1.0,
        (L1, TraceNorm): lambda: 1.0,
        (L21, TaskGroupNorm): lambda: np.sqrt(n),
        (TaskGroupNorm, L21): lambda: np.sqrt(d),
        (TraceNorm, TaskGroupNorm): lambda: np.sqrt(n),
        (TaskGroupNorm, TraceNorm): lambda: np.sqrt(K),
    }
    bound = table.get(kinds)
    return None if bound is None else float(bound())


def zero_block(problem):
    """The block that is zero at a solution, known from the strengths alone
    (two blocks, no ridge), or None.

    With dual balls ``N1* <= a1`` and ``N2* <= a2`` and ``N1* <= k N2*``
    (:func:`dual_norm_bound`): when ``a1 >= k a2`` the second ball lies in
    the first, so the infimal convolution of the two penalties is the second
    penalty alone and a zero first block is optimal (and symmetrically). The
    dirty model, for instance: ``P = 0`` from ``alpha >= c l1`` on, ``Q = 0``
    for ``alpha <= l1``.
    """
    from ..penalties._decomposed import BlockPenalty, LInf1

    penalty = problem.penalty
    if not isinstance(penalty, BlockPenalty) or problem.ridge:
        return None
    if problem.coupling is not None or len(penalty.penalties) != 2:
        return None
    first, second = penalty.penalties
    d, c = problem.n_features // 2, problem.n_columns
    for zero, (a, b) in enumerate([(first, second), (second, first)]):
        k = dual_norm_bound(a, b, d, c)
        # L-inf,1 alone has no compiled sweep: the dirty model's descent is faster
        if k is not None and a.alpha >= k * b.alpha and type(b) is not LInf1:
            return zero
    return None


def reduced_solve(problem, W0, b0, **options):
    """Solve a decomposed problem with a :func:`zero_block` as the one-block
    problem of the other block (row-separable: working sets and coordinate
    descent); certificates of the stacked problem. None when not reducible."""
    from ._minimize import final_result, minimize
    from ._problem import Problem

    zero = zero_block(problem)
    if zero is None or not stacked_design(problem, 2):
        return None
    d = problem.n_features // 2
    kept = 1 - zero
    block = problem._block_X if problem.n_blocks == 2 else problem.X[:, :d]
    sub = Problem(block, problem.datafit, problem.penalty.penalties[kept],
                  fit_intercept=problem.fit_intercept, ridge=0.0)
    start = None if W0 is None else W0[:d] + W0[d:]
    result = minimize(sub, start, b0, **options)
    W = np.zeros((problem.n_features, problem.n_columns))
    W[kept * d:(kept + 1) * d] = result.W
    status = result.status
    problem.gap_scale = sub.gap_scale
    return final_result(problem, W, result.b, result.n_iter, status,
                        result.criterion, result.threshold, result.solver)


def stacked_solve(problem, W0, b0, *, tol, max_iter, verbose, kkt_tol):
    """The entry of :func:`._minimize._spectral` for this module's problems:
    :func:`reduced_solve` when a block is zero by the strengths, else (or
    when its stacked certificate stays open) :func:`decomposed_admm` on the
    :func:`stacked_model`; None when neither applies. The reported
    ``n_iter`` counts the iterations of both attempts."""
    options = dict(tol=tol, max_iter=max_iter, verbose=verbose, kkt_tol=kkt_tol)
    reduced = reduced_solve(problem, W0, b0, **options)
    if reduced is not None and reduced.converged:
        return reduced
    spent = 0 if reduced is None else reduced.n_iter
    model = stacked_model(problem)  # W = P + Q: the model of X, not of [X, X]
    if model is None:
        return reduced
    # the stacked certificate of the one-block solution did not close: solve
    # the stacked problem (from W0) instead
    result = decomposed_admm(problem, model, W0, b0, **options)
    result.n_iter += spent
    return result


# -- the dirty model: coordinate descent over the rows of P and Q ------------------
def _linf1_minimizer(alpha, a, h, u, order_buffer):
    """Into ``u``: ``argmin 1/2 sum h u^2 - a.u + alpha max|u|`` (as
    :meth:`LInf1.row_minimizer`, the same formulas)."""
    T = a.shape[0]
    total = 0.0
    for t in range(T):
        if h[t] <= 0:
            a[t] = 0.0
        total += abs(a[t])
    if total <= alpha:
        for t in range(T):
            u[t] = 0.0
        return
    ratio = np.zeros(T)
    for t in range(T):
        if h[t] > 0:
            ratio[t] = abs(a[t]) / h[t]
    # by decreasing ratio, a stable insertion sort into the buffer (T is the
    # tasks): numba's np.argsort compiled in 0.85 s of the kernel's 1.4 s
    order = order_buffer
    for i in range(T):
        current, k = i, i - 1
        while k >= 0 and ratio[order[k]] < ratio[current]:
            order[k + 1] = order[k]
            k -= 1
        order[k + 1] = current
    sum_a, sum_h, tau = 0.0, 0.0, 0.0
    for k in range(T):
        i = order[k]
        if h[i] <= 0:
            break
        sum_a += abs(a[i])
        sum_h += h[i]
        level = (sum_a - alpha) / sum_h
        nxt = ratio[order[k + 1]] if k + 1 < T else 0.0
        if level >= nxt and level <= ratio[i]:
            tau = max(level, 0.0)
            break
    for t in range(T):
        u[t] = np.sign(a[t]) * min(ratio[t], tau)


def _dirty_sweep(W, HS, gram, scale, H, C, hdiag, ridge, alpha, l1):
    """One epoch over the features ``j``: row ``j`` of ``P``, then row ``j``
    of ``Q`` (``W = [P; Q]``), ``HS = (H_t s_t)_t`` of ``S = P + Q`` kept up
    to date. Both rows enter ``S`` through the same column of the Grams:
    between them only row ``j`` of ``HS`` is updated (``T`` entries), then
    the other rows once with the sum of the two moves (one ``d T`` update
    per feature instead of one per row of ``W``)."""
    d, T = HS.shape
    shared = gram.shape[0] > 0
    a, u, h = np.empty(T), np.empty(T), np.empty(T)
    delta, total, hjj = np.empty(T), np.empty(T), np.empty(T)
    buffer = np.empty(T, dtype=np.int64)
    for j in range(d):
        for t in range(T):
            total[t] = 0.0
            h[t] = hdiag[j, t] + ridge
            hjj[t] = gram[j, j] * scale[t] if shared else H[j, j, t]
        any_move = False
        for block in range(2):
            row = block * d + j
            for t in range(T):
                g = HS[j, t] - C[j, t] + ridge * W[row, t]
                a[t] = h[t] * W[row, t] - g
            if block == 0:
                _linf1(alpha, a, h, u, buffer)
            else:
                for t in range(T):
                    m = abs(a[t]) - l1
                    u[t] = np.sign(a[t]) * m / h[t] if (m > 0 and h[t] > 0) else 0.0
            for t in range(T):
                delta[t] = u[t] - W[row, t]
                W[row, t] = u[t]
                if delta[t] != 0.0:
                    any_move = True
                    total[t] += delta[t]
                    HS[j, t] += hjj[t] * delta[t]  # row j: seen by the next block
        if not any_move:
            continue
        if shared:
            for t in range(T):
                total[t] *= scale[t]
            for i in range(d):
                if i != j:
                    gij = gram[j, i]
                    for t in range(T):
                        HS[i, t] += gij * total[t]
        else:  # H_t symmetric: row j of the (s, s, T) Grams, contiguous
            for i in range(d):
                if i != j:
                    for t in range(T):
                        HS[i, t] += H[j, i, t] * total[t]


_linf1 = _linf1_minimizer
_dirty_compiled = {}


def _dirty_kernel():
    if not _dirty_compiled:
        import numba

        jit = numba.njit(cache=True, nogil=True)
        globals()["_linf1"] = jit(_linf1_minimizer)
        _dirty_compiled["sweep"] = jit(_dirty_sweep)
    return _dirty_compiled["sweep"]


def dirty_applies(problem):
    """The dirty model (``L_inf,1`` on ``P``, ``L1`` on ``Q``) and numba."""
    from ..penalties import L1
    from ..penalties._decomposed import BlockPenalty, LInf1
    from ._kernels import AVAILABLE

    penalty = problem.penalty
    return (AVAILABLE and isinstance(penalty, BlockPenalty)
            and [type(p) for p in penalty.penalties] == [LInf1, L1])


_DIRTY_CHECK_EVERY = 5  # epochs between certificates (the Anderson cycle)
_DIRTY_CRAWL = 100  # epochs between the checks of the rate of convergence


def _crawling(measure, checked, tol, epoch, max_iter):
    """Whether, at the rate since the last check (``_DIRTY_CRAWL`` epochs
    ago, measure ``checked``), the measure would still be above ``tol`` at
    ``max_iter`` (linear convergence extrapolated; no decrease: crawling)."""
    if not np.isfinite(checked):
        return False
    if measure >= checked:
        return True
    left = _DIRTY_CRAWL * np.log(measure / tol) / np.log(checked / measure)
    return epoch + left > max_iter


def _measure(problem, certificate, W, HW, value=None):
    """``(certificate.measure(W, HW), objective)``, the objective not
    evaluated again when known (``value``; the point then was offered)."""
    if certificate.criterion != "duality_gap":
        return certificate.measure(W, HW), certificate.objective(W, HW)
    from ._minimize import gap_measure

    if value is None:
        certificate.offer(W, HW)
        value = certificate.objective(W, HW)
    gap = max(value - certificate.best_dual, 0.0)
    return gap_measure(problem, gap, value), value


def _extrapolate(certificate, W, HS, history):
    """The Anderson extrapolation of the ``(W, HS)`` in ``history`` if it
    lowers the objective: ``HS`` of the extrapolated point is the same
    combination of the iterates' (``HS`` is linear in ``W``: no product).
    Returns ``W, HS`` and the objective there (the point was offered)."""
    points = np.stack([w.ravel() for w, _ in history])
    c = anderson_weights(points)
    HW = np.vstack([HS, HS])
    value = certificate.objective(W, HW)
    if c is None:
        certificate.offer(W, HW)
        return W, HS, value
    W_acc = (c @ points[1:]).reshape(W.shape)
    HS_acc = np.tensordot(c, np.stack([hs for _, hs in history[1:]]), axes=1)
    HW_acc = np.vstack([HS_acc, HS_acc])
    certificate.offer(W_acc, HW_acc)
    accelerated = certificate.objective(W_acc, HW_acc)
    if accelerated < value:
        return W_acc, np.ascontiguousarray(HS_acc), accelerated
    certificate.offer(W, HW)
    return W, HS, value


def dirty_descent(model, problem, W, certificate, *, tol, max_iter):
    """Coordinate descent over the rows of ``P`` and ``Q`` with Anderson
    extrapolation (as :func:`._inner.coordinate_descent`); returns ``W, HW,
    n_epochs, status``, the status "crawling" when the rate of the last
    ``_DIRTY_CRAWL`` epochs says that ``max_iter`` will not do (the caller
    goes on with ADMM)."""
    from ._inner import _ANDERSON

    sweep = _dirty_kernel()
    base = model.base
    alpha, l1 = (p.alpha for p in problem.penalty.penalties)
    C = np.ascontiguousarray(base.C, dtype=np.float64)
    hdiag = np.ascontiguousarray(base.diagonal(), dtype=np.float64)
    if base.shared:
        gram, scale = np.ascontiguousarray(base.gram), base.scale
        H = np.zeros((0, 0, 0))
    else:
        gram, scale = np.zeros((0, 0)), np.zeros(0)
        H = np.ascontiguousarray(base.H)
    W = np.array(W, dtype=np.float64)
    d = base.n_features
    HS = np.ascontiguousarray(model.hessian_product(W)[:d])
    progress, history = _Progress(), [(W.copy(), HS.copy())]
    checked = np.inf  # the measure at the last check of the rate
    known = None  # the objective at W when already evaluated
    for epoch in range(max_iter):
        if epoch % _DIRTY_CHECK_EVERY == 0:  # a gap costs about 10 epochs
            HW = np.vstack([HS, HS])
            measure, value = _measure(problem, certificate, W, HW, known)
            if measure <= tol:
                return W, HW, epoch, "converged"
            if progress.stalled(value, measure, _STALL):
                return W, HW, epoch, "stalled"
            if epoch and epoch % _DIRTY_CRAWL == 0:
                if _crawling(measure, checked, tol, epoch, max_iter):
                    return W, HW, epoch, "crawling"
                checked = measure
        sweep(W, HS, gram, scale, H, C, hdiag, float(problem.ridge), alpha, l1)
        known = None
        history = (history + [(W.copy(), HS.copy())])[-(_ANDERSON + 1):]
        if len(history) == _ANDERSON + 1 and epoch % _ANDERSON == _ANDERSON - 1:
            W, HS, known = _extrapolate(certificate, W, HS, history)
    HW = np.vstack([HS, HS])
    if certificate.measure(W, HW) <= tol:
        return W, HW, max_iter, "converged"
    return W, HW, max_iter, "max_iter"
