"""BLAS threads for the solvers.

The solvers multiply tall, skinny matrices (``n_samples`` x a few hundred
features by ``n_tasks`` columns) many times. Multithreaded OpenBLAS gains
little on such products and, when the cores are busy, its spinning threads
can make one product hundreds of times slower (seen here: 0.5 ms on one
thread, 13 ms to 470 ms on two threads of a loaded 2-core machine). Below a
size where threads pay off, the solvers therefore run on one BLAS thread.
"""

import contextlib

_SINGLE_THREAD_BELOW = 10**8  # n_samples * n_features * n_columns
_controller = None


def _get_controller():
    global _controller
    if _controller is None:
        from threadpoolctl import ThreadpoolController

        _controller = ThreadpoolController()
    return _controller


_depth = 0  # nesting of blas_threads_for: only the outermost one acts


@contextlib.contextmanager
def blas_threads_for(size):
    """Context limiting BLAS to one thread for problems below the threshold.

    Nested uses (``minimize`` inside an estimator's fit, Newton subproblems)
    cost nothing: only the outermost context changes the thread count.
    ``size`` is ``n_samples * n_features * n_columns`` of the problem.

    Examples
    --------
    >>> import numpy as np
    >>> from threadpoolctl import threadpool_info
    >>> from skmtl.solvers import blas_threads_for
    >>> def blas_threads():
    ...     return [p["num_threads"] for p in threadpool_info()
    ...             if p["user_api"] == "blas"]
    >>> with blas_threads_for(1000):  # a small problem: one thread
    ...     inside = blas_threads()
    >>> all(n == 1 for n in inside)
    True
    """
    global _depth
    if size >= _SINGLE_THREAD_BELOW or _depth:
        _depth += 1
        try:
            yield
        finally:
            _depth -= 1
        return
    _depth += 1
    try:
        with _get_controller().limit(limits=1, user_api="blas"):
            yield
    finally:
        _depth -= 1
