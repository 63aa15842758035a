"""What a datafit and a penalty must provide, checked when a problem is built.

The solvers call these members only; a class that lacks one fails when the
:class:`~skmtl.solvers.Problem` is made, with a message naming the class and
the member, instead of an ``AttributeError`` deep inside a solver.
"""

import functools
from typing import Protocol, runtime_checkable


@runtime_checkable
class Datafit(Protocol):
    """A smooth loss of the predictor values at the observed entries.

    A squared-loss datafit (``profiled_intercept = True``) also provides the
    members of ``ProfiledDatafit``, a logistic one those of ``NewtonDatafit``;
    :class:`Problem` checks them and names the first one missing.

    Examples
    --------
    >>> import numpy as np
    >>> from skmtl.datafits import Quadratic
    >>> from skmtl.solvers import Datafit
    >>> datafit = Quadratic([0, 1, 2], [0, 0, 0], [1.0, 2.0, 3.0],
    ...                     np.full(3, 1 / 3), 3, 1)
    >>> isinstance(datafit, Datafit), isinstance(object(), Datafit)
    (True, False)
    >>> value, gradient = datafit.value_and_gradient(np.zeros(3))
    >>> value  # (1 / 2) * mean of y^2
    2.333333333333333
    """

    n_columns: int
    n_samples: int
    layout: object
    profiled_intercept: bool  # the best intercept for fixed W has a closed form
    curvature: float  # bound on the second derivative of one entry's loss

    def entries(self): ...  # (rows, columns), sorted by column then row

    def value_and_gradient(self, z): ...  # loss and d loss / d z at the entries

    def null_intercept(self): ...  # best intercepts when W = 0


class ProfiledDatafit(Datafit, Protocol):
    """A squared loss: closed-form intercepts, residuals for the dual."""

    entry_targets: object
    entry_weights: object

    def best_intercept(self, xw): ...

    def residual_moments(self, z): ...

    def dense_targets(self, n_rows): ...


class NewtonDatafit(Datafit, Protocol):
    """A loss with a weighted least-squares (Newton) model."""

    exact_newton_model: bool

    entry_weights: object  # weight of each entry (Newton damping)

    def value(self, z): ...  # the loss alone (line searches)

    def quadratic_model(self, z): ...  # working response and weights

    def row_hessians(self, z): ...  # exact per-row Hessian blocks, per task

    def row_weights(self, task): ...  # weights of those rows (exact-model damping)


class Penalty(Protocol):
    """A convex penalty on the coefficient matrix ``W`` (features x columns).

    A penalty that separates over the rows of ``W`` (``row_separable``) also
    provides the members of ``RowPenalty``, any other those of
    ``SpectralPenalty``. A penalty that lacks one is refused when the
    :class:`Problem` is built, with a message naming it.

    Examples
    --------
    >>> import numpy as np
    >>> from skmtl.datafits import Quadratic
    >>> from skmtl.solvers import Problem
    >>> datafit = Quadratic([0, 1], [0, 0], [1.0, 2.0], np.full(2, 0.5), 2, 1)
    >>> class Unfinished:
    ...     alpha = 1.0
    >>> Problem(np.eye(2), datafit, Unfinished(), fit_intercept=True)
    ... # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    TypeError: penalty Unfinished lacks class_centring_safe, conjugate, ...
    """

    alpha: float
    row_separable: bool  # sum over the rows of W (one per feature)
    induces_sparsity: bool  # zero rows at the solution: working sets pay
    conjugate_is_indicator: bool  # a norm: the dual point is rescaled
    # never increases when each multinomial task's block of every row of W is
    # centred over its classes (an orthogonal projection of the row blocks)
    class_centring_safe: bool

    def value(self, W): ...

    def prox_value(self, W, step): ...  # prox and the penalty value there

    def dual_norm(self, V): ...

    def conjugate(self, V, ridge): ...  # of penalty + ridge / 2 ||.||^2


class RowPenalty(Penalty, Protocol):
    def row_violations(self, W, G): ...  # per-row distance to optimality

    def row_minimizer(self, a, h): ...  # argmin 1/2 sum h u^2 - a.u + penalty(u)


class SpectralPenalty(Penalty, Protocol):
    def violation(self, W, G): ...  # distance of -G to the subdifferential


@functools.cache
def _members(protocol):  # cached: every Newton step builds a problem
    names = set()
    for klass in protocol.__mro__:
        if klass.__name__ in ("Protocol", "Generic", "object"):
            continue
        names |= set(getattr(klass, "__annotations__", {}))
        names |= {
            name
            for name, value in vars(klass).items()
            if callable(value) and not name.startswith("_")
        }
    return sorted(names)


def check_members(obj, protocol, role):
    """Raise ``TypeError`` naming the first member of ``protocol`` ``obj`` lacks."""
    missing = [name for name in _members(protocol) if not hasattr(obj, name)]
    if missing:
        raise TypeError(
            f"{role} {type(obj).__name__} lacks {', '.join(missing)}, required by "
            f"the {protocol.__name__} protocol of skmtl.solvers."
        )


def check_penalty(penalty):
    check_members(penalty, Penalty, "penalty")
    protocol = RowPenalty if penalty.row_separable else SpectralPenalty
    check_members(penalty, protocol, "penalty")


def check_datafit(datafit):
    check_members(datafit, Datafit, "datafit")
    protocol = ProfiledDatafit if datafit.profiled_intercept else NewtonDatafit
    check_members(datafit, protocol, "datafit")
