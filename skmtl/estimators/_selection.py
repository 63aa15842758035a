"""Selected features of the sparse models, and the class_weight parameter's text.

:class:`FeatureSupportMixin` gives a model whose penalty zeroes whole
feature rows of ``W`` (L2,1, entrywise L1) scikit-learn's selector interface:
``get_support()`` and ``n_features_selected_`` report exactly the features
with a nonzero coefficient for some task (or class). ``SelectFromModel``
compares ``||coef_[:, j]||_1 >= threshold``; its default "mean" threshold
drops active features, so pass ``threshold=model.nonzero_threshold`` (the
smallest positive float32, which keeps every nonzero row in float32 and
float64 alike) to select the same features as ``get_support()``.
"""

import numpy as np
from sklearn.utils.validation import check_is_fitted

__all__ = ["CLASS_WEIGHT_DOC", "FeatureSupportMixin", "NONZERO_THRESHOLD"]

#: smallest positive float32: ``x >= NONZERO_THRESHOLD`` iff ``x != 0`` for a
#: non-negative float32 ``x`` (and for float64 down to 1.4e-45)
NONZERO_THRESHOLD = float(np.nextafter(np.float32(0), np.float32(1)))


class FeatureSupportMixin:
    """``get_support`` and ``n_features_selected_`` from the nonzero rows of ``W``."""

    #: ``SelectFromModel(model, threshold=model.nonzero_threshold)`` keeps the
    #: features of ``get_support()``
    nonzero_threshold = NONZERO_THRESHOLD

    def get_support(self, indices=False):
        """Features with a nonzero coefficient for at least one task (or class).

        Parameters
        ----------
        indices : bool, default=False
            Return the indices of the selected features instead of a mask.

        Returns
        -------
        support : ndarray of bool of shape (n_features,), or of int
        """
        check_is_fitted(self)
        mask = np.any(np.atleast_2d(self.coef_) != 0, axis=0)
        return np.flatnonzero(mask) if indices else mask

    @property
    def n_features_selected_(self):
        """Number of features with a nonzero coefficient row (fitted models only)."""
        return int(np.count_nonzero(self.get_support()))


CLASS_WEIGHT_DOC = """
class_weight : None, "balanced", dict, list or dict of task name to these, \
default=None
    Weights ``v_t(k)`` of the classes of each task. They multiply the sample
    weights of the rows of each class *before* the per-task normalisation, so
    task ``t``'s data term becomes ``c_t / (sum_i s_it v_t(y_it)) * sum_i s_it
    v_t(y_it) ell_t(y_it, z_it)`` and only the ratios between a task's class
    weights matter (scaling them all changes nothing). ``"balanced"``:
    ``v_t(k) = S_t / (K_t S_tk)`` with ``S_tk`` the total sample weight of the
    task's rows of class ``k`` (their count without sample weights), so every
    class carries the same share ``c_t / K_t``. A dict ``{label: weight}``
    applies to every task (labels it omits weigh 1; a label a task lacks is an
    error); a list gives one specification per task; a dict ``{task name:
    specification}`` the named tasks (others ``None``). ``None``, the default:
    rows count by their sample weights alone, as in scikit-learn.
"""
