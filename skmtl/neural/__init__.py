"""Multi-task neural networks: shared hidden layers, one head per task."""

from ._mlp import MultiTaskMLPClassifier, MultiTaskMLPRegressor

__all__ = ["MultiTaskMLPClassifier", "MultiTaskMLPRegressor"]
