"""Docstring fragments shared by the estimators (one wording per parameter).

A class docstring writes ``%(name)s`` on a line of its own; :func:`fill_doc`
puts the fragment ``name`` there, indented like the marker. The fragments
``common_parameters``, ``common_attributes``, ``regressor_coef``,
``classifier_coef`` and ``dual_gap`` are always available: the last three
are the ``coef_`` / ``intercept_`` (and, for classifiers, ``classes_`` /
``task_slices_``) and ``dual_gap_`` entries of the Attributes section, the
same for every model.
"""

import re
import textwrap

from ._selection import CLASS_WEIGHT_DOC

COMMON_PARAMETERS = """
ridge : float, default=0.0
    Strength of the squared Frobenius norm term ``ridge/2 ||W||_F^2``. 0 by
    default, so that the model's own penalty is the only one; a small ridge
    (say 1e-3) keeps the weights of a classifier finite when a task's
    classes are separable.
fit_intercept : bool, default=True
    Fit one unpenalised intercept per task (per class of a multiclass task);
    on by default because targets are rarely centred per task.
task_weights : array-like of shape (n_tasks,) or float, default=None
    Weight of each task's average loss in the data term (all ones if
    None: every task counts the same, whatever its number of rows). A
    small weight lets an auxiliary task help a main task.
tol : float, default=1e-4
    Tolerance of the stopping criterion (see Notes); scikit-learn's
    default, relative to a data scale, so it means the same on any data.
    Proximal Newton (the logistic loss) also waits until its last step
    decreased the objective by at most ``tol`` times the objective: on a
    badly conditioned problem a small KKT violation alone can leave the
    objective a few ``1e-4`` (relative) above its minimum.
max_iter : int, default=1000
    Maximum number of iterations of the solver chosen by
    :func:`skmtl.solvers.minimize`: coordinate-descent epochs, counted in
    passes over all the features (an epoch over a working set of ``s`` of
    the ``d`` features counts ``s / d``, as one of scikit-learn's epochs
    visits every feature), or ADMM iterations for the squared loss,
    conjugate-gradient steps for its linear systems, proximal Newton steps
    for the logistic loss. A fit that stops early warns; the warning says
    whether more iterations would help ("did not converge") or not
    ("stalled").
warm_start : bool, default=False
    Start from the previous solution when refitting with the same shapes.
verbose : int, default=0
    Print the stopping criterion at each outer iteration when positive.
"""

COMMON_ATTRIBUTES = """
n_tasks_ : int
    Number of tasks (columns of ``Y``).
task_names_ : ndarray of str
    Column names of a DataFrame ``Y``, else ``"task_0"``, ``"task_1"``, ...
n_features_in_ : int
    Number of features seen during fit.
feature_names_in_ : ndarray of str
    Names of the features, defined when ``X`` has feature names.
n_iter_ : int
    Iterations run by the solver.
kkt_violation_ : float
    Distance from minus the gradient of the smooth part to the
    subdifferential of the penalty at the solution (0 at the optimum).
solver_ : str
    The algorithm :func:`skmtl.solvers.minimize` chose for this fit.
"""

REGRESSOR_COEF = """
coef_ : ndarray of shape (n_tasks, n_features), or (n_features,) for 1-D y
    Row ``t`` holds task ``t``'s weights (``W`` transposed).
intercept_ : ndarray of shape (n_tasks,), or float for 1-D y
    One intercept per task (zeros when ``fit_intercept=False``).
"""

CLASSIFIER_COEF = """
classes_ : list of ndarray, or ndarray for 1-D y
    Sorted labels of each task.
coef_ : ndarray of shape (n_coef_rows, n_features)
    One row per binary task (the weights of its second class), ``K_t`` rows
    per task with ``K_t > 2`` classes; ``task_slices_[t]`` selects task
    ``t``'s rows.
intercept_ : ndarray of shape (n_coef_rows,)
    The intercepts of the rows of ``coef_``.
task_slices_ : list of slice
    Rows of ``coef_`` and entries of ``intercept_`` of each task.
"""

DUAL_GAP = """
dual_gap_ : float
    Duality gap at the solution, the certificate the fit stopped on (see
    Notes); set only when the problem has one (the squared loss with a
    positive strength), else absent.
"""

_MARKER = re.compile(r"^(?P<indent>[ \t]*)%\((?P<name>\w+)\)s[ \t]*$", re.MULTILINE)


def _class_default(doc, name, value, reason):
    """``doc`` with parameter ``name`` documented at this class's default
    ``value``, the ``reason`` for it opening the description."""
    header = re.compile(rf"^(?P<indent>[ \t]*){name} : (?P<kind>[^\n]*?), "
                        rf"default=[^\n]*$", re.MULTILINE)
    match = header.search(doc)
    if match is None:
        raise ValueError(f"no documented parameter {name!r} to give default {value!r}")
    indent = match["indent"] + "    "
    text = textwrap.fill(reason, 76 - len(indent), initial_indent=indent,
                         subsequent_indent=indent)
    return (doc[:match.start()] + f"{match['indent']}{name} : {match['kind']}, "
            f"default={value!r}\n{text}" + doc[match.end():])


def fill_doc(cls=None, **fragments):
    """Class decorator: replace ``%(name)s`` marker lines by the fragments.

    Use as ``@fill_doc`` or ``@fill_doc(name=text, ...)``.
    """
    fragments = {
        "common_parameters": COMMON_PARAMETERS,
        "common_attributes": COMMON_ATTRIBUTES,
        "regressor_coef": REGRESSOR_COEF,
        "classifier_coef": CLASSIFIER_COEF,
        "dual_gap": DUAL_GAP,
        "class_weight": CLASS_WEIGHT_DOC,
        **fragments,
    }

    def fill(match):
        text = textwrap.dedent(fragments[match["name"]]).strip("\n")
        return textwrap.indent(text, match["indent"], lambda line: line.strip() != "")

    def decorate(klass):
        doc = _MARKER.sub(fill, klass.__doc__)
        reasons = getattr(klass, "_defaults_reasons", {})
        for name, value in getattr(klass, "_defaults", {}).items():
            doc = _class_default(doc, name, value, reasons[name])
        klass.__doc__ = doc
        return klass

    return decorate if cls is None else decorate(cls)
