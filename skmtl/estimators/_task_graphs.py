"""Task graphs for :class:`~skmtl.TaskGraphRegressor` and its classifier."""

from numbers import Integral

import numpy as np
from scipy import sparse


def chain_graph(n_tasks, weight=1.0):
    r"""Task graph linking each task to the next: ``A[t, t+1] = A[t+1, t] = weight``.

    For ordered tasks (time points, doses): the graph penalty of
    :class:`~skmtl.TaskGraphRegressor` becomes
    :math:`\frac{\alpha}{2}\sum_t \mathrm{weight}\,\lVert w_{t+1} - w_t\rVert^2`,
    a temporal smoothness term.

    Parameters
    ----------
    n_tasks : int
        Number of tasks, at least 1.
    weight : float, default=1.0
        Non-negative weight of each link.

    Returns
    -------
    graph : sparse matrix of shape (n_tasks, n_tasks), CSR

    Notes
    -----
    **Disease progression (temporal group lasso; Zhou, Yuan, Liu & Ye, KDD
    2011; MALSAR** ``Least_TGL``\ **).** Task ``t`` predicts a clinical score
    at the ``t``-th follow-up from baseline features; patients who dropped out
    have ``NaN`` targets from then on. The model

    .. code-block:: python

        TaskGraphRegressor(graph=chain_graph(n_visits), alpha=a, l21=g, ridge=r)

    keeps consecutive time points' weights close (``alpha``) and selects the
    same baseline features at every time point (``l21``). MALSAR minimises
    :math:`\sum_t \frac12\lVert y_t - X_t w_t\rVert^2 + \rho_1\lVert W\rVert_F^2
    + \rho_2\lVert W R\rVert_F^2 + \rho_3\lVert W\rVert_{2,1}` (summed losses);
    with every task on ``n`` rows our data term is that loss divided by
    ``n``, so ``ridge = 2 rho1 / n``, ``alpha = 2 rho2 / n``, ``l21 = rho3 / n``
    (MALSAR fits no intercept: use ``fit_intercept=False`` to match it).

    Examples
    --------
    >>> from skmtl import chain_graph
    >>> chain_graph(3).toarray()
    array([[0., 1., 0.],
           [1., 0., 1.],
           [0., 1., 0.]])
    """
    n_tasks = _check_count(n_tasks, "n_tasks")
    weight = _check_weight(weight)
    off = np.full(max(n_tasks - 1, 0), weight)
    return sparse.diags([off, off], [-1, 1], shape=(n_tasks, n_tasks), format="csr")


def grid_graph(shape, weight=1.0):
    """Task graph of a grid of tasks: each task linked to its axis neighbours.

    Tasks are numbered in C order (``numpy.ravel_multi_index``): with
    ``shape=(2, 3)`` task ``3 * i + j`` is cell ``(i, j)``. A 1-D shape gives
    :func:`chain_graph`; a 2-D one, for instance, regions on a map or (time,
    dose) pairs.

    Parameters
    ----------
    shape : tuple of int
        Size of the grid along each axis (each at least 1).
    weight : float, default=1.0
        Non-negative weight of each link.

    Returns
    -------
    graph : sparse matrix of shape (prod(shape), prod(shape)), CSR

    Examples
    --------
    >>> from skmtl import grid_graph
    >>> grid_graph((2, 2)).toarray()
    array([[0., 1., 1., 0.],
           [1., 0., 0., 1.],
           [1., 0., 0., 1.],
           [0., 1., 1., 0.]])
    """
    if isinstance(shape, Integral):
        shape = (shape,)
    shape = tuple(_check_count(n, f"shape[{i}]") for i, n in enumerate(shape))
    if not shape:
        raise ValueError("shape must have at least one axis.")
    weight = _check_weight(weight)
    graph = sparse.csr_matrix((1, 1))
    for n in shape:  # Cartesian product of chains: A = A1 (+) A2 (Kronecker sum)
        chain = chain_graph(n, weight)
        graph = sparse.kron(graph, sparse.eye(n)) + sparse.kron(
            sparse.eye(graph.shape[0]), chain
        )
    return sparse.csr_matrix(graph)


def _check_count(n, name):
    if isinstance(n, bool) or not isinstance(n, Integral) or n < 1:
        raise ValueError(f"{name} must be a positive integer; got {n!r}.")
    return int(n)


def _check_weight(weight):
    weight = float(weight)
    if not np.isfinite(weight) or weight < 0:
        raise ValueError(f"weight must be a finite non-negative number; got {weight}.")
    return weight
