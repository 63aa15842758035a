"""
Two classification tasks with 5 and 3 classes sharing a representation
======================================================================

Task ``"shape"`` has 5 classes (string labels), task ``"size"`` has 3
(integers); each leaves some rows unlabelled (``None``). Tasks may have
their own label sets in the models that never compare labels across tasks:
:class:`skmtl.L21Classifier` and :class:`skmtl.TraceNormClassifier` (linear,
shared features or a shared subspace) and :class:`skmtl.MultiTaskMLPClassifier`
(a shared hidden layer with a softmax head per task over that task's
classes). ``predict_proba`` returns one array per task, with the task's own
number of columns.
"""

# %%
import matplotlib.pyplot as plt
import numpy as np
from sklearn.linear_model import LogisticRegression

from skmtl import L21Classifier, MultiTaskMLPClassifier, SingleTaskBaseline
from skmtl.metrics import accuracy_score

rng = np.random.default_rng(0)
SHAPES = np.array(["circle", "cross", "square", "star", "triangle"], dtype=object)
A = rng.standard_normal((10, 4))  # the shared representation tanh(X A)
B_shape, B_size = 2 * rng.standard_normal((4, 5)), 2 * rng.standard_normal((4, 3))


def make_tasks(n, missing=0.2):
    X = rng.standard_normal((n, 10))
    H = np.tanh(X @ A)
    shape = SHAPES[np.argmax(H @ B_shape + 0.3 * rng.standard_normal((n, 5)), axis=1)]
    size = np.argmax(H @ B_size + 0.3 * rng.standard_normal((n, 3)), axis=1)
    Y = np.empty((n, 2), dtype=object)
    Y[:, 0], Y[:, 1] = shape, size
    Y[rng.random(n) < missing, 0] = None  # unlabelled entries
    Y[rng.random(n) < missing, 1] = None
    return X, Y


X_train, Y_train = make_tasks(150)
X_test, Y_test = make_tasks(2000, missing=0.0)
print(Y_train[:4])

# %%
models = {
    "MultiTaskMLPClassifier((10,))": MultiTaskMLPClassifier(
        hidden_layer_sizes=(10,), alpha=1e-2, max_iter=1000, random_state=0
    ),
    "L21Classifier": L21Classifier(alpha=0.005),
    "one LogisticRegression per task": SingleTaskBaseline(LogisticRegression()),
}
accuracy = {}
for name, model in models.items():
    model.fit(X_train, Y_train)
    predicted = model.predict(X_test)
    accuracy[name] = accuracy_score(Y_test, predicted, multioutput="raw_values")
    print(f"{name:32s} held-out accuracy (shape, size): {accuracy[name].round(3)}")

mlp = models["MultiTaskMLPClassifier((10,))"]
print("classes_:", [c.tolist() for c in mlp.classes_])
print("predict_proba shapes:", [p.shape for p in mlp.predict_proba(X_test[:4])])
print("head_coefs_ shapes:", [h.shape for h in mlp.head_coefs_])

# %%
fig, ax = plt.subplots(figsize=(6.5, 3.5))
for k, (name, values) in enumerate(accuracy.items()):
    ax.bar(np.arange(2) + 0.27 * k, values, 0.27, label=name)
ax.set_xticks(np.arange(2) + 0.27, ["shape (5 classes)", "size (3 classes)"])
ax.set_ylabel("held-out accuracy")
ax.set_ylim(0, 1)
ax.legend(fontsize="small", loc="lower right")
plt.show()
