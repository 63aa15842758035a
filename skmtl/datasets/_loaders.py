"""Loaders of two real multi-task benchmarks: School (regression), Landmine
(binary classification).

The data files are not shipped with the package. A loader looks for its file
in ``data_home``; if ``data_home`` is None, in the directory named by the
environment variable ``SKMTL_DATA`` (if set), then in ``~/skmtl_data``. Every
copy, found or downloaded, must match the SHA-256 checksum of the reference
file.
"""

import hashlib
import os
import shutil
import urllib.request
from pathlib import Path

import numpy as np
from scipy.io import loadmat
from sklearn.utils import Bunch

from ._stack import stack_tasks

__all__ = [
    "DATA_HOME_ENV",
    "LANDMINE_SHA256",
    "LANDMINE_URL",
    "SCHOOL_SHA256",
    "SCHOOL_URL",
    "get_data_home",
    "load_landmine",
    "load_school",
]

#: Environment variable naming the default data directory.
DATA_HOME_ENV = "SKMTL_DATA"

#: ``school.mat`` as distributed with the MALSAR toolbox (pinned commit).
SCHOOL_URL = (
    "https://raw.githubusercontent.com/jiayuzhou/MALSAR/"
    "ca3d55b878cc4113f0d9603e8ac46538aeb1ecd9/data/school.mat"
)
SCHOOL_SHA256 = "57fb3238fdd03a9aa17276e2ce18d9bbb5d128c3261e794fe6233b58b6909068"

#: ``LandmineData.mat`` of Xue et al. (2007), from a public mirror (pinned commit).
LANDMINE_URL = (
    "https://raw.githubusercontent.com/daizhongxiang/Federated_Bayesian_Optimization/"
    "9f46a1dfbbcfd5823e026ad9418a4cb881676ae9/LandmineData.mat"
)
LANDMINE_SHA256 = "2163ab20a80e33a8b65593c48cf283c540599dcb291105e63fa4af2ce24c2bea"

_CHUNK = 1 << 20


# ---------------------------------------------------------------------------
# Finding, downloading and verifying the files
# ---------------------------------------------------------------------------


def _candidate_dirs(data_home):
    """Directories searched for a data file, in order."""
    if data_home is not None:
        try:
            return [Path(os.fspath(data_home)).expanduser()]
        except TypeError:
            raise TypeError(
                "data_home must be None, a str or an os.PathLike directory, got "
                f"{type(data_home).__name__} {data_home!r}."
            ) from None
    dirs = []
    if os.environ.get(DATA_HOME_ENV):
        dirs.append(Path(os.environ[DATA_HOME_ENV]).expanduser())
    dirs.append(Path("~", "skmtl_data").expanduser())
    return dirs


def get_data_home(data_home=None):
    """Directory where the data loaders look for, and download, their files.

    Parameters
    ----------
    data_home : str or os.PathLike, default=None
        If given, this directory. Otherwise the directory named by the
        environment variable ``SKMTL_DATA`` if it is set and not empty, else
        ``~/skmtl_data``. The directory is not created.

    Returns
    -------
    path : pathlib.Path
        The data directory.

    Examples
    --------
    >>> from skmtl.datasets import get_data_home
    >>> str(get_data_home("/tmp/my_data"))
    '/tmp/my_data'
    """
    return _candidate_dirs(data_home)[0]


def _sha256(path):
    """Hexadecimal SHA-256 digest of the file at ``path``."""
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for chunk in iter(lambda: file.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _check_sha256(path, expected, fix):
    """Raise an ``OSError`` if the SHA-256 digest of ``path`` is not ``expected``."""
    actual = _sha256(path)
    if actual != expected.lower():
        raise OSError(
            f"SHA-256 checksum mismatch for {path}: expected {expected}, got "
            f"{actual}. The file is damaged or is not the reference version; {fix}"
        )


def _copy_url(url, path):
    """Write the resource at ``url`` to ``path``."""
    try:
        with urllib.request.urlopen(url, timeout=60) as response:
            with open(path, "wb") as out:
                shutil.copyfileobj(response, out, _CHUNK)
    except OSError as exc:
        raise OSError(
            f"Could not download {url} to {path}: {exc}. Check the network "
            "connection, or download the file by hand into the data directory."
        ) from exc


def _download(url, destination, sha256):
    """Download ``url`` to ``destination`` once its SHA-256 digest is verified.

    The data go to a ``.part`` file first, which is renamed only if the
    checksum matches and deleted otherwise.
    """
    destination = Path(destination)
    destination.parent.mkdir(parents=True, exist_ok=True)
    partial = destination.with_name(destination.name + ".part")
    try:
        _copy_url(url, partial)
        _check_sha256(partial, sha256, f"the download from {url} was discarded.")
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    os.replace(partial, destination)
    return destination


def _data_file(filename, url, sha256, data_home, download_if_missing):
    """Path of a verified copy of ``filename``, downloading it if allowed."""
    dirs = _candidate_dirs(data_home)
    for directory in dirs:
        path = directory / filename
        if path.is_file():
            fix = (
                f"replace it with the file from {url} (or delete it and load "
                "with download_if_missing=True)."
            )
            _check_sha256(path, sha256, fix)
            return path
    if download_if_missing:
        return _download(url, dirs[0] / filename, sha256)
    searched = ", ".join(str(d) for d in dirs)
    raise FileNotFoundError(
        f"Data file {filename!r} not found; searched: {searched}. Put the file "
        f"in one of these directories, pass data_home=<its directory>, set the "
        f"environment variable {DATA_HOME_ENV}, or load with "
        f"download_if_missing=True to download it from {url}."
    )


# ---------------------------------------------------------------------------
# Reading the files
# ---------------------------------------------------------------------------


def _read_task_cells(path, x_key, y_key):
    """Per-task feature and target arrays from two MATLAB cell arrays."""
    mat = loadmat(path)
    for key in (x_key, y_key):
        if key not in mat:
            raise ValueError(
                f"{path} has no variable {key!r}; expected the cell arrays "
                f"{x_key!r} and {y_key!r}, one cell per task."
            )
    Xs = [np.asarray(cell, dtype=np.float64) for cell in mat[x_key].ravel()]
    ys = [np.asarray(cell, dtype=np.float64).ravel() for cell in mat[y_key].ravel()]
    return Xs, ys


def _load(path, keys, feature_names, task_prefix, descr, return_X_y):
    """Stack the tasks of a ``.mat`` file into a Bunch (or ``(X, Y)``)."""
    Xs, ys = _read_task_cells(path, *keys)
    X, Y, task = stack_tasks(Xs, ys)
    if return_X_y:
        return X, Y
    return Bunch(
        data=X,
        target=Y,
        task=task,
        feature_names=np.asarray(feature_names, dtype=object),
        task_names=np.asarray(
            [f"{task_prefix}_{t}" for t in range(Y.shape[1])], dtype=object
        ),
        DESCR=descr,
        filename=str(path),
    )


# ---------------------------------------------------------------------------
# School
# ---------------------------------------------------------------------------

_SCHOOL_FEATURES = (
    [f"exam_year_{k}" for k in (1, 2, 3)]
    + ["free_school_meals_pct", "vr_band1_pct"]
    + [f"gender_{k}" for k in (1, 2)]
    + [f"vr_band_{k}" for k in (1, 2, 3)]
    + [f"ethnic_group_{k}" for k in range(1, 12)]
    + [f"school_gender_{k}" for k in (1, 2, 3)]
    + [f"school_denomination_{k}" for k in (1, 2, 3)]
    + ["bias"]
)

_SCHOOL_DESCR = """\
School data set (Inner London Education Authority exam scores)
--------------------------------------------------------------

Multi-task regression: predict the exam score of a student; one task per
school.

:Number of tasks: 139 schools
:Number of samples: 15,362 students (22 to 251 per school, median 103)
:Number of features: 28 small integers, returned as float64
:Target: exam score, an integer from 1 to 70

Features (column: name: meaning):

- 0-2: exam_year_1..3: year of the exam, one-hot.
- 3: free_school_meals_pct: percentage of the school's students eligible
  for free school meals that year.
- 4: vr_band1_pct: percentage of the school's students in verbal-reasoning
  band 1 that year.
- 5-6: gender_1..2: gender of the student, one-hot.
- 7-9: vr_band_1..3: verbal-reasoning band of the student, one-hot (all
  three are 0 for 15 students).
- 10-20: ethnic_group_1..11: ethnic group of the student, one-hot.
- 21-23: school_gender_1..3: mixed or single-sex school, one-hot.
- 24-26: school_denomination_1..3: denomination of the school, one-hot.
- 27: bias: constant 1.

Columns 21-26 are constant within a school. The file does not record which
category each one-hot column stands for, hence the numbered names.

Each row belongs to one school: ``target[i, t]`` is the score of student
``i`` if ``t`` is the student's school and NaN otherwise; ``task[i]`` is
that school.

A common protocol: 10 random 75 % / 25 % splits within each school, scored
by the explained variance (1 - MSE / variance of the pooled test targets)
or by the mean over schools of the per-school RMSE.

Source: H. Goldstein (1991), "Multilevel modelling of survey data", The
Statistician 40; the Inner London Education Authority data in the version
distributed with the MALSAR toolbox (file ``school.mat``).
"""


def load_school(data_home=None, *, download_if_missing=False, return_X_y=False):
    """Load the School data set (exam scores of 15,362 students in 139 schools).

    A multi-task regression benchmark: one task per school, 28 features. The
    file ``school.mat`` is searched in ``data_home``, or, if None, in the
    directory named by the environment variable ``SKMTL_DATA`` and then in
    ``~/skmtl_data``; its SHA-256 checksum must be :data:`SCHOOL_SHA256`.

    Parameters
    ----------
    data_home : str or os.PathLike, default=None
        Directory holding ``school.mat``. See :func:`get_data_home`.
    download_if_missing : bool, default=False
        If the file is not found, download it from :data:`SCHOOL_URL` into
        the first directory searched instead of raising an error.
    return_X_y : bool, default=False
        If True, return ``(data, target)`` instead of a Bunch.

    Returns
    -------
    data : Bunch
        With attributes ``data`` (ndarray of shape (15362, 28), float64),
        ``target`` (ndarray of shape (15362, 139): the exam score in the
        column of the student's school, NaN elsewhere), ``task`` (int ndarray
        of shape (15362,), the school of each row), ``feature_names``,
        ``task_names``, ``DESCR`` and ``filename``.
    (X, Y) : tuple of ndarray
        If ``return_X_y`` is True.

    Raises
    ------
    FileNotFoundError
        If the file is missing and ``download_if_missing`` is False.
    OSError
        If the file does not match the checksum or cannot be downloaded.

    Examples
    --------
    >>> from skmtl.datasets import load_school
    >>> school = load_school()  # doctest: +SKIP
    >>> school.data.shape, school.target.shape  # doctest: +SKIP
    ((15362, 28), (15362, 139))
    """
    path = _data_file(
        "school.mat", SCHOOL_URL, SCHOOL_SHA256, data_home, download_if_missing
    )
    return _load(
        path, ("X", "Y"), _SCHOOL_FEATURES, "school", _SCHOOL_DESCR, return_X_y
    )


# ---------------------------------------------------------------------------
# Landmine
# ---------------------------------------------------------------------------

_LANDMINE_FEATURES = [f"feature_{k}" for k in range(9)]

_LANDMINE_DESCR = """\
Landmine data set (landmine detection from radar images)
--------------------------------------------------------

Multi-task binary classification: tell landmines (label 1) from clutter
(label 0); one task per mine field.

:Number of tasks: 29 mine fields
:Number of samples: 14,820 (445 to 690 per field)
:Number of features: 9 real features, roughly standardised; no bias column
:Target: 1 for a landmine, 0 for clutter; about 6 % positive (2.9 % to 9.4 %
  per field)

Xue et al. describe the 9 features, extracted from radar images, as four
moment-based features, three correlation-based features, one energy ratio
and one spatial variance; the file does not name its columns. They also
report that fields 1-15 (tasks 0-14 here) are highly foliated regions and
fields 16-29 (tasks 15-28) bare earth or desert.

Each row belongs to one field: ``target[i, t]`` is the label (0.0 or 1.0)
of row ``i`` if ``t`` is its field and NaN otherwise; ``task[i]`` is that
field. The labels are stored as float so that the missing entries can be
NaN.

A common protocol: few training samples per task (e.g. 20, 40, 80 or 160),
the others for testing, scored by the ROC AUC of each task averaged over
the tasks.

Source: Y. Xue, X. Liao, L. Carin and B. Krishnapuram (2007), "Multi-task
learning for classification with Dirichlet process priors", Journal of
Machine Learning Research 8 (file ``LandmineData.mat``).
"""


def load_landmine(data_home=None, *, download_if_missing=False, return_X_y=False):
    """Load the Landmine data set (14,820 radar detections in 29 mine fields).

    A multi-task binary classification benchmark: one task per field, 9
    features. The file ``LandmineData.mat`` is searched in ``data_home``, or,
    if None, in the directory named by the environment variable
    ``SKMTL_DATA`` and then in ``~/skmtl_data``; its SHA-256 checksum must be
    :data:`LANDMINE_SHA256`.

    Parameters
    ----------
    data_home : str or os.PathLike, default=None
        Directory holding ``LandmineData.mat``. See :func:`get_data_home`.
    download_if_missing : bool, default=False
        If the file is not found, download it from :data:`LANDMINE_URL` into
        the first directory searched instead of raising an error.
    return_X_y : bool, default=False
        If True, return ``(data, target)`` instead of a Bunch.

    Returns
    -------
    data : Bunch
        With attributes ``data`` (ndarray of shape (14820, 9), float64),
        ``target`` (ndarray of shape (14820, 29): the label 0.0 or 1.0 in the
        column of the row's field, NaN elsewhere), ``task`` (int ndarray of
        shape (14820,), the field of each row), ``feature_names``,
        ``task_names``, ``DESCR`` and ``filename``.
    (X, Y) : tuple of ndarray
        If ``return_X_y`` is True.

    Raises
    ------
    FileNotFoundError
        If the file is missing and ``download_if_missing`` is False.
    OSError
        If the file does not match the checksum or cannot be downloaded.

    Examples
    --------
    >>> from skmtl.datasets import load_landmine
    >>> X, Y = load_landmine(return_X_y=True)  # doctest: +SKIP
    >>> X.shape, Y.shape  # doctest: +SKIP
    ((14820, 9), (14820, 29))
    """
    path = _data_file(
        "LandmineData.mat",
        LANDMINE_URL,
        LANDMINE_SHA256,
        data_home,
        download_if_missing,
    )
    return _load(
        path,
        ("feature", "label"),
        _LANDMINE_FEATURES,
        "field",
        _LANDMINE_DESCR,
        return_X_y,
    )
