"""
Stochastic methods on two finite sums
=====================================

1. The sigmoid-loss SVM (nonconvex) on scikit-learn's breast cancer data: SdLBFGS, SdLBFGS-VR,
   SVRG, SGD and Adam, the relative full-gradient norm against SFO calls (sample gradients) and
   against time.
2. A tanh MLP (64 -> 32 -> 10) on scikit-learn's 8x8 digits, trained by SdLBFGS-VR: training curve
   and test accuracy, the confusion matrix and a grid of test digits with their predicted labels.

The script prints, per method, the SFO calls and time to a relative gradient norm of 1e-3 and the
test accuracy.

Run as a script: ``python examples/stochastic/plot_digits_mlp.py`` (at most 30 epochs of each SVM
method and 20 of the MLP, seconds); ``--full`` (or ``OPTKIT_EXAMPLES_FULL=1``) for 300 and 150, the
benchmark's budgets.
"""
import os
import sys

import matplotlib.pyplot as plt
import numpy as np

import optkit
from optkit.datasets.stochastic import breast_cancer, digits
from optkit.problems import MLPClassifier, SigmoidSVM

FULL = "--full" in sys.argv[1:] or os.environ.get("OPTKIT_EXAMPLES_FULL") == "1"
svm_epochs, mlp_epochs = (300, 150) if FULL else (30, 20)

# settings from the benchmark's grids (benchmarks/stochastic.py, breast cancer SVM and digits MLP)
SETTINGS = {
    "sdlbfgs": dict(step_size=1.0, schedule="1/sqrt(k)", damping=0.1),
    "sdlbfgs_vr": dict(step_size=0.1),
    "svrg": dict(step_size=1.0),
    "sgd": dict(step_size=1.0, schedule="constant"),
    "adam": dict(step_size=0.1, schedule="constant"),
}
warm = SigmoidSVM(np.eye(4), np.array([0, 1, 0, 1]), l2=0.1)
for method in SETTINGS:  # load the compiled Numba kernels before timing
    optkit.solve(warm, method=method, max_iter=3)

# %%
# The sigmoid SVM on breast cancer
# --------------------------------
# ``tol`` applies to the relative full-gradient norm, checked once per epoch.
s = breast_cancer()
problem = SigmoidSVM(s.X_train, s.y_train, l2=1e-3)
print(f"sigmoid SVM on breast cancer: {problem!r}")
print(f"{'method':>11} {'status':>9} {'SFO / n':>8} {'time (s)':>9} {'grad norm':>10} {'test acc':>9}")
runs = {}
for method, setting in SETTINGS.items():
    res = optkit.solve(problem, method=method, tol=1e-3, seed=0, max_epochs=svm_epochs, **setting)
    runs[method] = res
    print(f"{method:>11} {res.status.name:>9} {res.measures['sfo'] / problem.n_samples:8.1f} {res.time:9.3f} "
          f"{res.optimality:10.1e} {problem.score(res.x, s.X_test, s.y_test):9.3f}")

n = problem.n_samples
fig, axes = plt.subplots(1, 2, figsize=(11, 4))
for method, res in runs.items():
    h = res.history
    axes[0].semilogy(h["sfo"] / n, h["optimality"], label=method)
    axes[1].semilogy(h["time"], h["optimality"], label=method)
for ax, xlabel in zip(axes, ("SFO calls / n", "time (s)")):
    ax.axhline(1e-3, color="k", lw=0.5)
    ax.set(xlabel=xlabel, ylabel="||grad F|| / ||grad F(x0)||", title="sigmoid SVM, breast cancer")
    ax.legend(fontsize=8)
    ax.grid(True, alpha=0.3)
fig.tight_layout()

# %%
# An MLP on the digits
# --------------------
# A callback records the test accuracy at every check.
d = digits()
mlp = MLPClassifier(d.X_train, d.y_train, hidden=(32,), l2=1e-3)
accuracy = []
res = optkit.solve(mlp, method="sdlbfgs_vr", tol=1e-3, seed=0, max_epochs=mlp_epochs, step_size=0.3,
                   damping=0.1, callback=lambda info: accuracy.append(mlp.score(info.x, d.X_test, d.y_test)))
pred = mlp.predict(res.x, d.X_test)
print(f"MLP on digits ({mlp.n_params} parameters): {res.status.name} after {res.nit} steps, "
      f"{res.measures['sfo'] / mlp.n_samples:.0f} SFO calls / n, {res.time:.1f} s; "
      f"relative gradient norm {res.optimality:.1e}; test accuracy {np.mean(pred == d.y_test):.3f}")
confusion = np.zeros((10, 10), dtype=int)
np.add.at(confusion, (d.y_test, pred), 1)

fig = plt.figure(figsize=(15, 8))
h = res.history
ax = fig.add_subplot(2, 3, 1)
ax.semilogy(h["sfo"] / mlp.n_samples, h["optimality"], label="relative gradient norm")
twin = ax.twinx()
twin.plot(h["sfo"][1:len(accuracy) + 1] / mlp.n_samples, accuracy, "g.-", label="test accuracy")
ax.set(xlabel="SFO calls / n", title="MLP on digits, SdLBFGS-VR")
twin.set_ylabel("test accuracy")
ax = fig.add_subplot(2, 3, 4)
ax.imshow(confusion, cmap="Blues")
ax.set(xlabel="predicted", ylabel="true", title="confusion matrix (test)", xticks=range(10), yticks=range(10))
grid = fig.add_gridspec(2, 3)[:, 1:].subgridspec(3, 8)
for k in range(24):
    ax = fig.add_subplot(grid[k // 8, k % 8])
    ax.imshow(d.X_test[k].reshape(8, 8), cmap="gray_r")
    ax.set_title(str(pred[k]), color="k" if pred[k] == d.y_test[k] else "r", fontsize=9)
    ax.axis("off")
fig.tight_layout()
plt.show()
