"""Multi-task data sets: synthetic generators, real benchmarks, stacking helpers.

Every function returns, or takes, multi-task data in the package's format: one
feature matrix ``X`` (n_samples, n_features) and stacked targets ``Y``
(n_samples, n_tasks) with a missing entry (``NaN``, or ``None`` for labels)
wherever a task does not observe a row.
"""

from ._loaders import get_data_home, load_landmine, load_school
from ._stack import stack_tasks, unstack_tasks
from ._synthetic import (
    make_ill_conditioned_tasks,
    make_multitask_classification,
    make_multitask_regression,
)

__all__ = [
    "get_data_home",
    "load_landmine",
    "load_school",
    "make_ill_conditioned_tasks",
    "make_multitask_classification",
    "make_multitask_regression",
    "stack_tasks",
    "unstack_tasks",
]
