r"""Compiled ADMM iterations for the models of :mod:`._stacked` (numba).

:func:`._stacked.admm` alternates, on the quadratic model of ``X`` (``B``
stacked blocks ``W = [W_1; ...; W_B]``, Hessian ``1 1^T (x) H``),

.. math::

    W &= (1 1^\top \otimes H + (\rho + \tau) I)^{-1} (C + \tau (V - U)),\\
    \hat W &= \theta W + (1 - \theta) V, \qquad
    V^+ = \mathrm{prox}_{\Omega / \tau}(\hat W + U), \qquad
    U^+ = U + \hat W - V^+,

with over-relaxation ``theta`` and ``tau`` balanced between the primal and
dual residuals. At the sizes of these models (tens to hundreds of
features, tens of tasks) one iteration in numpy is about 20 calls and is
bound by their overhead; here :func:`run` makes ``k`` iterations in one
compiled call and the certificate (a duality gap, dearer than an
iteration) is evaluated by the caller between calls only.

The blocks' proximal operators are written here for the penalties of the
decomposed and fused models (:func:`penalty_codes`, the same formulas as
their classes: soft thresholding, row and task-group shrinkage, singular
value thresholding, taut string then shrinkage, the clustered models'
spectral shrinkage); a block penalty without a
code runs the numpy iterations of :func:`._stacked.admm`.
"""

import numpy as np

from ._kernels import AVAILABLE

_L1, _L21, _TASK_GROUPS, _TRACE, _FUSED, _CLUSTER = 0, 1, 2, 3, 4, 5
_compiled = {}
_ZERO = 1e-14  # eigenvalues below this times the largest are zero: dropped


def penalty_codes(penalty):
    """``(codes, strengths, starts)`` of a block penalty (or of one penalty
    as one block) whose proxes are compiled here, else None.

    ``strengths[b]`` holds ``(alpha, l1, fused)`` of block ``b``; ``starts``
    the task columns of a :class:`TaskGroupNorm` block (one such block at
    most; empty otherwise).
    """
    from ..penalties import L1, L21, TraceNorm
    from ..penalties._clustered import ClusterPenalty
    from ..penalties._decomposed import BlockPenalty, TaskGroupNorm
    from ..penalties._fused import FusedGroupLasso, FusedLasso

    blocks = penalty.penalties if isinstance(penalty, BlockPenalty) else (penalty,)
    codes, strengths, starts = [], [], np.zeros(0, dtype=np.int64)
    for block in blocks:
        kind = type(block)
        if kind in (FusedGroupLasso, FusedLasso):
            codes.append(_FUSED)
            strengths.append((block.group, block.l1, block.fused))
            continue
        if kind is ClusterPenalty:
            codes.append(_CLUSTER)
            strengths.append((block.scale, block.eta, block.k))
            continue
        code = {L1: _L1, L21: _L21, TaskGroupNorm: _TASK_GROUPS, TraceNorm: _TRACE}
        if kind not in code:
            return None
        if kind is TaskGroupNorm:
            if starts.size:
                return None
            starts = np.ascontiguousarray(block.starts, dtype=np.int64)
        codes.append(code[kind])
        strengths.append((block.alpha, 0.0, 0.0))
    return (np.array(codes, dtype=np.int64), np.array(strengths, dtype=np.float64),
            starts)


def applies(penalty):
    return AVAILABLE and penalty_codes(penalty) is not None


def _soft(Z, level, out):
    d, T = Z.shape
    for i in range(d):
        for t in range(T):
            m = abs(Z[i, t]) - level
            out[i, t] = np.sign(Z[i, t]) * m if m > 0 else 0.0


def _shrink_rows(Z, level, out):
    """``out_j = z_j (1 - level / ||z_j||)_+`` (prox of the L2,1 norm)."""
    d, T = Z.shape
    for i in range(d):
        norm2 = 0.0
        for t in range(T):
            norm2 += Z[i, t] * Z[i, t]
        norm = np.sqrt(norm2)
        scale = (norm - level) / norm if norm > level else 0.0
        for t in range(T):
            out[i, t] = Z[i, t] * scale


def _shrink_task_groups(Z, level, starts, out):
    """The task-group shrinkage of :class:`TaskGroupNorm` (columns
    ``starts[g]:starts[g + 1]`` of every row form group ``g``)."""
    d = Z.shape[0]
    for g in range(starts.size - 1):
        norm2 = 0.0
        for i in range(d):
            for t in range(starts[g], starts[g + 1]):
                norm2 += Z[i, t] * Z[i, t]
        norm = np.sqrt(norm2)
        scale = (norm - level) / norm if norm > level else 0.0
        for i in range(d):
            for t in range(starts[g], starts[g + 1]):
                out[i, t] = Z[i, t] * scale


def _symmetric_eigen(G, V):
    """Cyclic Jacobi on the symmetric ``G`` (n, n), in place: ``G`` ends
    diagonal (its eigenvalues), the rotations accumulated in ``V`` (the
    identity on entry; its columns the eigenvectors). No LAPACK: numba
    compiles ``np.linalg.svd`` / ``eigh`` in about 20 s, this in about 1 s,
    and for the ``n`` (tasks) of these models it is fast."""
    n = G.shape[0]
    for _ in range(50):
        off, diag = 0.0, 0.0
        for p in range(n):
            diag += G[p, p] * G[p, p]
            for q in range(p + 1, n):
                off += G[p, q] * G[p, q]
        if off <= 1e-30 * diag or off == 0.0:
            return
        for p in range(n - 1):
            for q in range(p + 1, n):
                apq = G[p, q]
                if abs(apq) <= 1e-18 * (abs(G[p, p]) + abs(G[q, q])):
                    # below the diagonal's rounding: a rotation would not
                    # change it (most pairs in the last sweeps)
                    G[p, q] = 0.0
                    G[q, p] = 0.0
                    continue
                theta = (G[q, q] - G[p, p]) / (2.0 * apq)
                sign = 1.0 if theta >= 0 else -1.0
                t = sign / (abs(theta) + np.sqrt(theta * theta + 1.0))
                c = 1.0 / np.sqrt(t * t + 1.0)
                sn = t * c
                # J^T G J is symmetric: rows p, q (contiguous) give columns
                # p, q; the 2 x 2 block in closed form
                for k in range(n):
                    if k != p and k != q:
                        gpk, gqk = G[p, k], G[q, k]
                        a, b = c * gpk - sn * gqk, sn * gpk + c * gqk
                        G[p, k], G[k, p], G[q, k], G[k, q] = a, a, b, b
                G[p, p] -= t * apq
                G[q, q] += t * apq
                G[p, q] = 0.0
                G[q, p] = 0.0
                for k in range(n):
                    vkp, vkq = V[k, p], V[k, q]
                    V[k, p], V[k, q] = c * vkp - sn * vkq, sn * vkp + c * vkq


def _spectral_shrink(Z, kind, level, eta, k, out):
    """``U f(s) V^T`` for ``Z = U diag(s) V^T`` into ``out``: singular value
    thresholding ``f(s) = (s - level)_+`` (``kind`` 0, the trace norm's prox)
    or the clustered shrinkage ``f(s) = s e / (e + 2 level)``, ``e = eta +
    gamma``, ``gamma`` the capped allocation at ``eta + 2 level`` (``kind``
    1). From the eigendecomposition ``V diag(s^2) V^T`` of the small Gram
    (``Z^T Z`` for ``T <= d``, else ``Z Z^T``): ``out = Z V diag(f(s) / s)
    V^T`` (or its transpose), ``d T^2`` flops instead of an SVD's ``d T``
    times more; the squared singular values lose accuracy only far below
    the largest, where ``f(s) / s`` hardly varies."""
    d, T = Z.shape
    wide = T > d
    n = d if wide else T
    G, V = np.zeros((n, n)), np.zeros((n, n))
    for p in range(n):
        V[p, p] = 1.0
    if wide:
        for p in range(n):
            for q in range(p, n):
                acc = 0.0
                for t in range(T):
                    acc += Z[p, t] * Z[q, t]
                G[p, q] = acc
                G[q, p] = acc
    else:  # G = Z^T Z by rows of Z (contiguous inner loops)
        for i in range(d):
            for p in range(n):
                zp = Z[i, p]
                for q in range(n):
                    G[p, q] += zp * Z[i, q]
    _symmetric_eigen(G, V)
    s = np.empty(n)
    for j in range(n):
        s[j] = np.sqrt(max(G[j, j], 0.0))
    top = 0.0
    for j in range(n):
        top = max(top, s[j])
    factor = np.zeros(n)  # f(s) / s
    if kind == 0:
        for j in range(n):
            if s[j] > level:
                factor[j] = (s[j] - level) / s[j]
    else:
        gamma = np.empty(n)
        _capped_allocation(s, eta + 2.0 * level, k, gamma)
        for j in range(n):
            if s[j] > 1e-15 * top:
                e = eta + gamma[j]
                factor[j] = e / (e + 2.0 * level)
    M = np.zeros((n, n))  # V diag(factor) V^T, from the kept eigenvectors
    for j in range(n):
        if factor[j] != 0.0:
            for p in range(n):
                f = factor[j] * V[p, j]
                for q in range(n):
                    M[p, q] += f * V[q, j]
    if wide:  # out = M Z
        for p in range(d):
            for t in range(T):
                out[p, t] = 0.0
            for q in range(d):
                m = M[p, q]
                for t in range(T):
                    out[p, t] += m * Z[q, t]
    else:  # out = Z M
        for i in range(d):
            for t in range(T):
                out[i, t] = 0.0
            for q in range(T):
                z = Z[i, q]
                for t in range(T):
                    out[i, t] += z * M[q, t]


def _capped_allocation(a, offset, k, g):
    """:func:`penalties._clustered.capped_allocation` into ``g`` (the same
    breakpoints and formulas; ``a >= 0``, ``k <= a.size``; a stable
    insertion sort of the ``2 r`` events, ``r`` at most the tasks)."""
    m = a.size
    r = 0
    for i in range(m):
        if a[i] > 0:
            r += 1
    if r <= k:
        for i in range(m):
            g[i] = 1.0 if a[i] > 0 else (k - r) / (m - r)
        return
    size = 2 * r
    thetas, d_slope, d_const = np.empty(size), np.empty(size), np.empty(size)
    p = 0
    for i in range(m):
        if a[i] > 0:
            thetas[p], d_slope[p], d_const[p] = offset / a[i], a[i], -offset
            thetas[r + p], d_slope[r + p] = (offset + 1.0) / a[i], -a[i]
            d_const[r + p] = offset + 1.0
            p += 1
    order = np.empty(size, dtype=np.int64)  # (a loop: np.arange compiles slower)
    for i in range(size):
        order[i] = i
    for i in range(1, size):  # stable: equal events keep their order
        current, j = order[i], i - 1
        while j >= 0 and thetas[order[j]] > thetas[current]:
            order[j + 1] = order[j]
            j -= 1
        order[j + 1] = current
    slope, const, at = np.empty(size), np.empty(size), np.empty(size)
    running_slope, running_const = 0.0, 0.0
    for i in range(size):
        running_slope += d_slope[order[i]]
        running_const += d_const[order[i]]
        slope[i], const[i] = running_slope, running_const
        at[i] = running_slope * thetas[order[i]] + running_const
    level = k - 1e-12 * max(k, 1.0)
    j = 0
    while j < size and at[j] < level:  # searchsorted (left)
        j += 1
    j = min(j, size - 1)
    if j == 0 or slope[j - 1] <= 0:
        theta = thetas[order[j]]
    else:
        theta = (k - const[j - 1]) / slope[j - 1]
    for i in range(m):
        g[i] = min(max(theta * a[i] - offset, 0.0), 1.0) if a[i] > 0 else 0.0


def _fused_rows(Z, step, group, l1, fused, out):
    """:meth:`FusedGroupLasso._prox_rows`: rows the group shrinkage zeroes
    skipped, else the taut string (TV prox), soft thresholding, shrinkage."""
    d, T = Z.shape
    row = np.empty((1, T))
    for i in range(d):
        if group > 0:
            norm2 = 0.0
            for t in range(T):
                norm2 += Z[i, t] * Z[i, t]
            if np.sqrt(norm2) <= step * group:
                for t in range(T):
                    out[i, t] = 0.0
                continue
        if fused > 0 and T > 1:
            taut_string(Z[i:i + 1], step * fused, row)
        else:
            for t in range(T):
                row[0, t] = Z[i, t]
        norm2 = 0.0
        for t in range(T):
            m = abs(row[0, t]) - step * l1
            v = np.sign(row[0, t]) * m if m > 0 else 0.0
            out[i, t] = v
            norm2 += v * v
        if group > 0:
            norm = np.sqrt(norm2)
            scale = (norm - step * group) / norm if norm > step * group else 0.0
            for t in range(T):
                out[i, t] *= scale


def _prox_blocks(Z, step, codes, strengths, starts, out):
    """The blocks' proxes of ``Z`` (``B d`` rows) into ``out``."""
    d = Z.shape[0] // codes.size
    for b in range(codes.size):
        block, target = Z[b * d:(b + 1) * d], out[b * d:(b + 1) * d]
        level = step * strengths[b, 0]
        code = codes[b]
        if code == _L1:
            _soft(block, level, target)
        elif code == _L21:
            _shrink_rows(block, level, target)
        elif code == _TASK_GROUPS:
            _shrink_task_groups(block, level, starts, target)
        elif code == _FUSED:
            _fused_rows(block, step, strengths[b, 0], strengths[b, 1],
                        strengths[b, 2], target)
        elif code == _CLUSTER and strengths[b, 0] == 0:  # clustered at alpha = 0
            for i in range(d):
                for t in range(block.shape[1]):
                    target[i, t] = block[i, t]
        else:
            # one call site for both spectral proxes: two calls with the
            # constants 0 and 1 compiled _spectral_shrink twice (numba types
            # literal integers apart), 0.65 s more in a fresh cache
            trace = code == _TRACE
            kind = 0 if trace else 1
            eta = 0.0 if trace else strengths[b, 1]
            k = 0.0 if trace else strengths[b, 2]
            _spectral_shrink(block, kind, level, eta, k, target)


def _structured_solve(R, shift, values, vectors, vectors_t, n_blocks, out):
    """:func:`._stacked._structured_solve` into ``out``.

    ``values`` (r, T) are the Grams' eigenvalues (times the column scales),
    ``vectors`` (1, s, r) for a shared Gram or (T, s, r), ``vectors_t``
    their transposes (contiguous): only the ``r`` eigenvectors of non-zero
    eigenvalues are needed (``H S`` has no component along the others), so
    on wide designs (fewer rows per task than features) the products cost
    ``s r`` instead of ``s^2``. Plain loops: numba's ``np.dot`` brings in
    error formatting that takes seconds to compile.
    """
    r, T = values.shape
    s = R.shape[0] // n_blocks
    shared = vectors.shape[0] == 1
    totals = _block_totals(R, n_blocks, s, T)
    HS = np.empty((s, T))
    coeff = np.empty(r)
    for t in range(T):
        g = 0 if shared else t
        E, Et, total = vectors[g], vectors_t[g], totals[t]
        for i in range(r):
            acc = 0.0
            for j in range(s):
                acc += Et[i, j] * total[j]
            coeff[i] = acc * values[i, t] / (n_blocks * values[i, t] + shift)
        for j in range(s):
            acc = 0.0
            for i in range(r):
                acc += E[j, i] * coeff[i]
            HS[j, t] = acc
    for b in range(n_blocks):
        for i in range(s):
            for t in range(T):
                out[b * s + i, t] = (R[b * s + i, t] - HS[i, t]) / shift


def _block_totals(R, n_blocks, s, T):
    """``totals[t] = sum_b R[b s : (b + 1) s, t]``: the stacked blocks' sum, by
    column."""
    totals = np.zeros((T, s))
    for b in range(n_blocks):
        for i in range(s):
            for t in range(T):
                totals[t, i] += R[b * s + i, t]
    return totals


def _factored_solve(R, shift, factors, n_blocks, out):
    """As :func:`_structured_solve` for per-column Grams, from the Cholesky
    factors ``L_t`` of ``B H_t + shift I`` (``factors`` (T, s, s), lower):
    ``S_t`` by forward and backward substitution (rows of ``L_t`` only), then
    ``H_t S_t = (sum_b r_bt - shift S_t) / B``."""
    T, s = factors.shape[0], factors.shape[1]
    totals = _block_totals(R, n_blocks, s, T)
    HS = np.empty((s, T))
    y = np.empty(s)
    for t in range(T):
        L, total = factors[t], totals[t]
        for i in range(s):  # L y = total
            # four partial sums: independent chains the compiler vectorises
            # (one running sum is a chain of dependent additions)
            a0, a1, a2, a3 = total[i], 0.0, 0.0, 0.0
            k = 0
            while k + 4 <= i:
                a0 -= L[i, k] * y[k]
                a1 -= L[i, k + 1] * y[k + 1]
                a2 -= L[i, k + 2] * y[k + 2]
                a3 -= L[i, k + 3] * y[k + 3]
                k += 4
            while k < i:
                a0 -= L[i, k] * y[k]
                k += 1
            y[i] = ((a0 + a1) + (a2 + a3)) / L[i, i]
        for i in range(s - 1, -1, -1):  # L^T S = y, column by column
            y[i] /= L[i, i]
            yi = y[i]
            for k in range(i):
                y[k] -= L[i, k] * yi
        for i in range(s):
            HS[i, t] = (total[i] - shift * y[i]) / n_blocks
    for b in range(n_blocks):
        for i in range(s):
            for t in range(T):
                out[b * s + i, t] = (R[b * s + i, t] - HS[i, t]) / shift


_JUMP = 16.0  # largest change of tau at one iteration


def _run(n_steps, V, U, tau, C, ridge, relax, values, vectors, vectors_t,
         factors, codes, strengths, starts, W_last, zero_start, jump, tau_min,
         tau_max):
    """Up to ``n_steps`` ADMM iterations from ``(V, U, tau)``, in place, the
    last exact solve (before relaxation) into ``W_last``; returns ``(n_done,
    tau)``. With Cholesky ``factors`` (for this ``tau``)
    the run ends after an iteration that changes ``tau`` (the caller
    refactors); with eigenvectors it goes on. ``zero_start``: the first
    iteration's right-hand side is zero (a cold start, ``V = 0`` and ``U =
    C / tau``), so is its solve: no factors needed for it. ``jump``: the
    largest change of ``tau`` at one iteration (1: ``tau`` fixed); ``tau``
    stays within ``[tau_min, tau_max]``."""
    n, T = V.shape
    B = codes.size
    factored = factors.shape[0] > 0
    R, W = np.empty((n, T)), np.empty((n, T))
    Z, V_new = np.empty((n, T)), np.empty((n, T))
    for step in range(n_steps):
        for i in range(n):
            for t in range(T):
                R[i, t] = C[i, t] + tau * (V[i, t] - U[i, t])
        if zero_start and step == 0:
            for i in range(n):
                for t in range(T):
                    W[i, t] = 0.0
        elif factored:
            _factored_solve(R, ridge + tau, factors, B, W)
        else:
            _structured_solve(R, ridge + tau, values, vectors, vectors_t, B, W)
        for i in range(n):
            for t in range(T):
                W_last[i, t] = W[i, t]
                W[i, t] = relax * W[i, t] + (1.0 - relax) * V[i, t]
                Z[i, t] = W[i, t] + U[i, t]
        prox_blocks(Z, 1.0 / tau, codes, strengths, starts, V_new)
        primal2, dual2 = 0.0, 0.0
        for i in range(n):
            for t in range(T):
                r = W[i, t] - V_new[i, t]
                U[i, t] += r
                primal2 += r * r
                m = V_new[i, t] - V[i, t]
                dual2 += m * m
                V[i, t] = V_new[i, t]
        primal, dual = np.sqrt(primal2), tau * np.sqrt(dual2)
        factor = 1.0
        if jump > 1.0 and (primal > 10 * dual or dual > 10 * primal):
            # the residuals move like tau^-1 and tau: one jump towards their
            # balance (at most _JUMP), not doublings (each new tau costs new
            # Cholesky factors of per-column Grams); by a power of 2, so that
            # a tau returning to an earlier value finds its cached factors
            if dual <= 0.0:
                factor = jump
            else:
                balance = 0.5 * np.log2(primal / dual)
                power = np.floor(abs(balance) + 0.5)
                factor = min(2.0**power, jump)
                if balance < 0:
                    factor = 1.0 / factor
            # within the bounds (powers of 2 of the initial tau: factor
            # cache hits are kept)
            factor = min(max(tau * factor, tau_min), tau_max) / tau
        changed = factor != 1.0
        if changed:
            tau *= factor
            for i in range(n):
                for t in range(T):
                    U[i, t] /= factor
        if changed and factored:
            return step + 1, tau
    return n_steps, tau


taut_string = None  # the compiled taut string, set by _kernels()
prox_blocks = _prox_blocks
_globals = globals()
# compiled by _kernels() in this order (callees first), replacing the globals
_HELPERS = ("_soft", "_shrink_rows", "_shrink_task_groups", "_capped_allocation",
            "_symmetric_eigen", "_spectral_shrink", "_fused_rows",
            "_block_totals", "_structured_solve",
            "_factored_solve")


def _kernels():
    if not _compiled:
        import numba

        from ..penalties._fused import _taut_string_rows

        jit = numba.njit(cache=True, nogil=True)
        _globals["taut_string"] = jit(_taut_string_rows)
        for name in _HELPERS:
            _globals[name] = jit(_globals[name])
        _globals["prox_blocks"] = jit(_prox_blocks)
        _compiled["run"] = jit(_run)
        _compiled["prox"] = _globals["prox_blocks"]
    return _compiled


def stepper(model, problem, relax):
    """A function ``run(n_steps, V, U, tau) -> tau`` making compiled ADMM
    iterations on ``model`` (a :class:`._stacked.StackedModel`), or None.

    A shared Gram is solved through its eigendecomposition (one, of
    side ``s``); per-column Grams through Cholesky factors of ``B H_t +
    (rho + tau) I``, made for each value ``tau`` takes (it jumps to the
    residuals' balance, a few times per solve; the last few are kept): ``T``
    eigendecompositions cost about 10 times as much as ``T`` factors.
    """
    codes = penalty_codes(problem.penalty) if AVAILABLE else None
    if codes is None:
        return None
    codes, strengths, starts = codes
    run = _kernels()["run"]
    C = np.ascontiguousarray(model.C, dtype=np.float64)
    ridge = float(problem.ridge)
    if model.shared:
        values, vectors, vectors_t = _shared_eigen(model)
        factors_of, H = None, None
    else:
        values, vectors, vectors_t = np.zeros((0, 0)), _EMPTY3, _EMPTY3
        H = model.base.column_grams()
        factors_of = _factor_cache(H, model.n_blocks, ridge)

    last_solve = np.zeros_like(C)

    def step(n_steps, V, U, tau, zero_start=False, jump=_JUMP):
        done = 0
        if zero_start and factors_of is not None:  # no factors for it
            done, tau = run(1, V, U, float(tau), C, ridge, float(relax), values,
                            vectors, vectors_t, _EMPTY3, codes, strengths,
                            starts, last_solve, True, float(jump), *bounds)
        while done < n_steps:
            factors = _EMPTY3 if factors_of is None else factors_of(tau)
            n_done, tau = run(int(n_steps - done), V, U, float(tau), C, ridge,
                              float(relax), values, vectors, vectors_t, factors,
                              codes, strengths, starts, last_solve,
                              zero_start and done == 0, float(jump), *bounds)
            done += n_done
        return tau

    step.initial_tau = initial_tau(model, H)
    # sqrt(top small) is the best tau of a quadratic problem; the residuals'
    # balance can drive tau 1e9 below it (features scaled by 1e4: tau from
    # 1e8 to 0.2 in 20 iterations, then a duality gap that no longer
    # decreases), so tau stays within 2^+-_TAU_RANGE of it
    bounds = (step.initial_tau * 2.0**-_TAU_RANGE, step.initial_tau * 2.0**_TAU_RANGE)
    step.last_solve = last_solve  # W of the last iteration's exact solve
    return step


_EMPTY3 = np.zeros((0, 0, 0))
_TAU_RANGE = 20  # tau within 2^+-20 (about 1e6) times its initial value
_CACHED_FACTORS = 4


def _shared_eigen(model):
    """Eigenvalues (r, T) times the column scales and the ``r`` eigenvectors
    of non-zero eigenvalues, (1, s, r) and transposed (1, r, s)."""
    values, vectors = model.base.eigen()  # ascending eigenvalues
    values = np.outer(values, model.scale)
    top = float(values.max(initial=0.0))
    rank = max(int(np.max(np.sum(values > _ZERO * top, axis=0), initial=0)), 1)
    values = np.ascontiguousarray(values[-rank:], dtype=np.float64)
    vectors = np.ascontiguousarray(vectors[None, :, -rank:], dtype=np.float64)
    return values, vectors, np.ascontiguousarray(vectors.transpose(0, 2, 1))


def _factor_cache(H, B, ridge):
    """``tau -> `` the Cholesky factors of ``B H_t + (ridge + tau) I`` (``H``
    (T, s, s)), lower, in a (T, s, s) array whose strict upper triangles
    are left over (:func:`_factored_solve` reads the lower ones only).

    LAPACK's ``potrf`` in place, one call per Gram (a C-ordered symmetric
    matrix is its own Fortran-ordered transpose): half the time of numpy's
    batched ``cholesky``, which copies every matrix in and out; the buffer
    of an evicted ``tau`` is reused (no fresh pages)."""
    from scipy.linalg.lapack import dpotrf

    diagonal, cache = np.arange(H.shape[1]), {}

    def factors(tau):
        if tau not in cache:
            if len(cache) >= _CACHED_FACTORS:
                M = cache.pop(next(iter(cache)))
            else:
                M = np.empty_like(H)
            np.multiply(H, B, out=M)
            M[:, diagonal, diagonal] += ridge + tau
            for t in range(M.shape[0]):
                factor, info = dpotrf(M[t].T, lower=0, overwrite_a=1, clean=0)
                if not np.shares_memory(factor, M):  # copied after all
                    M[t] = factor.T
                if info != 0:
                    raise np.linalg.LinAlgError(
                        f"the shifted Gram of column {t} is not positive definite "
                        f"(LAPACK potrf info {info})")
            cache[tau] = M
        return cache[tau]

    return factors


def initial_tau(model, H=None):
    """``sqrt(top small)`` with ``top`` the largest eigenvalue of the stacked
    Hessian and ``small`` a typical one: for a shared Gram from its
    eigendecomposition (the median of the non-zero eigenvalues); for
    per-column Grams, which the compiled iterations do not decompose, by
    power iterations and the mean eigenvalue ``tr H_t / s`` (``H`` the
    Grams laid out (T, s, s), contiguous)."""
    B = model.n_blocks
    if model.shared:
        values = model.base.eigen()[0]
        scale = model.scale.max()
        top = B * float(values.max(initial=0.0)) * scale
        positive = values[values > 1e-10 * max(top, 1e-300)]
        small = B * float(np.median(positive)) * scale if positive.size else top
    else:
        if H is None:
            H = model.base.column_grams()
        v = np.random.default_rng(0).standard_normal(H.shape[:2])
        top = 0.0
        for _ in range(_POWER_STEPS):
            v /= np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-300)
            Hv = np.matmul(H, v[:, :, None])[:, :, 0]
            top = float(np.max(np.sum(v * Hv, axis=1)))
            v = Hv
        top *= B
        small = B * float(np.mean(np.trace(H, axis1=1, axis2=2))) / H.shape[1]
    return max(np.sqrt(max(top, 1e-12) * max(small, 1e-12)), 1e-12)


_POWER_STEPS = 8  # the largest eigenvalue within a few per cent: enough for tau


def prox(penalty, Z, step):
    """The compiled prox of ``penalty`` (for the tests: equal to its class's)."""
    codes, strengths, starts = penalty_codes(penalty)
    Z = np.ascontiguousarray(Z, dtype=np.float64)
    out = np.empty_like(Z)
    _kernels()["prox"](Z, float(step), codes, strengths, starts, out)
    return out
