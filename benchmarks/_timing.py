"""What the timing benchmarks share: one BLAS thread, timing loops, the data.

Import this module before numpy (``import _timing``) in a benchmark script:
it sets the BLAS thread variables, which take effect only if they are set
before numpy loads its BLAS; :func:`one_blas_thread` then also limits the
libraries already loaded (``threadpoolctl``).

* :func:`best_time` runs a callable ``repeat`` times and keeps the fastest
  wall time; :func:`timed` measures one call in wall and CPU time (under a
  shared machine's load the process's CPU time moves much less than the
  wall time, so both are reported where ratios are taken);
* :func:`make_data` is the row-sparse regression problem of
  ``bench_l21.py`` and ``bench_cv.py``.
"""

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import time  # noqa: E402

import numpy as np  # noqa: E402


def one_blas_thread():
    """Context manager limiting every loaded BLAS / OpenMP pool to 1 thread."""
    from threadpoolctl import threadpool_limits

    return threadpool_limits(1)


def timed(run):
    """``(wall seconds, CPU seconds, result)`` of one call of ``run()``."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = run()
    return time.perf_counter() - wall, time.process_time() - cpu, result


def best_time(run, repeat):
    """``(fastest wall time, result of the last call)`` over ``repeat`` calls."""
    times, result = [], None
    for _ in range(repeat):
        elapsed, _, result = timed(run)
        times.append(elapsed)
    return min(times), result


def make_data(n, d, T, seed=0, rho=0.6, fraction=0.02, snr=3.0):
    """``X`` (n, d) with AR(1) columns (``rho``), a row-sparse ``W`` (a
    ``fraction`` of the features, at least 5) and ``Y = X W + noise`` at
    signal-to-noise ratio ``snr``; every entry observed."""
    rng = np.random.default_rng(seed)
    E = rng.standard_normal((n, d))
    X = np.empty((n, d))
    X[:, 0] = E[:, 0]
    for j in range(1, d):
        X[:, j] = rho * X[:, j - 1] + np.sqrt(1 - rho**2) * E[:, j]
    k = max(5, int(fraction * d))
    W = np.zeros((d, T))
    W[rng.choice(d, k, replace=False)] = rng.standard_normal((k, T))
    signal = X @ W
    noise = rng.standard_normal((n, T))
    noise *= np.linalg.norm(signal) / (snr * np.linalg.norm(noise))
    return np.asfortranarray(X), signal + noise
