"""Training curves of the stochastic methods on two finite sums, and digits classified by an MLP.

1. The sigmoid-loss SVM (nonconvex) on scikit-learn's breast cancer data: SdLBFGS, SdLBFGS-VR,
   SVRG, SGD and Adam, the relative full-gradient norm against SFO calls (sample gradients) and
   against time.
2. A tanh MLP (64 -> 32 -> 10) on scikit-learn's 8x8 digits, trained by SdLBFGS-VR: training curve
   and test accuracy, the confusion matrix and a grid of test digits with their predicted labels.

The script prints, per method, the SFO calls and time to a relative gradient norm of 1e-3 and the
test accuracy, and saves one figure.

Run: python examples/stochastic/digits_mlp.py [--out digits_mlp.png]
"""
from __future__ import annotations

import argparse

import numpy as np

import optkit
from optkit.datasets.stochastic import breast_cancer, digits
from optkit.problems import MLPClassifier, SigmoidSVM

# settings from the benchmark's grids (benchmarks/stochastic.py, breast cancer SVM and digits MLP)
SETTINGS = {
    "sdlbfgs": dict(step_size=1.0, schedule="1/sqrt(k)", damping=0.1),
    "sdlbfgs_vr": dict(step_size=0.1),
    "svrg": dict(step_size=1.0),
    "sgd": dict(step_size=1.0, schedule="constant"),
    "adam": dict(step_size=0.1, schedule="constant"),
}


def svm_curves() -> dict:
    s = breast_cancer()
    problem = SigmoidSVM(s.X_train, s.y_train, l2=1e-3)
    print(f"\nsigmoid SVM on breast cancer: {problem!r}")
    print(f"{'method':>11} {'status':>9} {'SFO / n':>8} {'time (s)':>9} {'grad norm':>10} {'test acc':>9}")
    runs = {}
    for method, setting in SETTINGS.items():
        res = optkit.solve(problem, method=method, tol=1e-3, seed=0, max_epochs=300, **setting)
        runs[method] = res
        print(f"{method:>11} {res.status.name:>9} {res.measures['sfo'] / problem.n_samples:8.1f} {res.time:9.3f} "
              f"{res.optimality:10.1e} {problem.score(res.x, s.X_test, s.y_test):9.3f}")
    return {"problem": problem, "runs": runs}


def mlp_digits() -> dict:
    s = digits()
    problem = MLPClassifier(s.X_train, s.y_train, hidden=(32,), l2=1e-3)
    accuracy = []
    res = optkit.solve(problem, method="sdlbfgs_vr", tol=1e-3, seed=0, max_epochs=150, step_size=0.3,
                       damping=0.1, callback=lambda info: accuracy.append(problem.score(info.x, s.X_test, s.y_test)))
    pred = problem.predict(res.x, s.X_test)
    print(f"\nMLP on digits ({problem.n_params} parameters): {res.status.name} after {res.nit} steps, "
          f"{res.measures['sfo'] / problem.n_samples:.0f} SFO calls / n, {res.time:.1f} s; "
          f"relative gradient norm {res.optimality:.1e}; test accuracy {np.mean(pred == s.y_test):.3f}")
    confusion = np.zeros((10, 10), dtype=int)
    np.add.at(confusion, (s.y_test, pred), 1)
    return {"result": res, "accuracy": accuracy, "pred": pred, "split": s, "confusion": confusion,
            "n": problem.n_samples}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="digits_mlp.png")
    args = parser.parse_args()
    warm = SigmoidSVM(np.eye(4), np.array([0, 1, 0, 1]), l2=0.1)
    for method in SETTINGS:  # load the compiled Numba kernels before timing
        optkit.solve(warm, method=method, max_iter=3)
    svm = svm_curves()
    mlp = mlp_digits()

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig = plt.figure(figsize=(15, 8))
    n = svm["problem"].n_samples
    ax1, ax2 = fig.add_subplot(2, 3, 1), fig.add_subplot(2, 3, 2)
    for method, res in svm["runs"].items():
        h = res.history
        ax1.semilogy(h["sfo"] / n, h["optimality"], label=method)
        ax2.semilogy(h["time"], h["optimality"], label=method)
    for ax, xlabel in ((ax1, "SFO calls / n"), (ax2, "time (s)")):
        ax.axhline(1e-3, color="k", lw=0.5)
        ax.set(xlabel=xlabel, ylabel="||grad F|| / ||grad F(x0)||", title="sigmoid SVM, breast cancer")
        ax.legend(fontsize=8)
        ax.grid(True, alpha=0.3)
    h = mlp["result"].history
    ax3 = fig.add_subplot(2, 3, 3)
    ax3.semilogy(h["sfo"] / mlp["n"], h["optimality"], label="relative gradient norm")
    ax3b = ax3.twinx()
    ax3b.plot(h["sfo"][1:len(mlp["accuracy"]) + 1] / mlp["n"], mlp["accuracy"], "g.-", label="test accuracy")
    ax3.set(xlabel="SFO calls / n", title="MLP on digits, SdLBFGS-VR")
    ax3b.set_ylabel("test accuracy")
    ax4 = fig.add_subplot(2, 3, 4)
    ax4.imshow(mlp["confusion"], cmap="Blues")
    ax4.set(xlabel="predicted", ylabel="true", title="confusion matrix (test)", xticks=range(10), yticks=range(10))
    s = mlp["split"]
    grid = fig.add_gridspec(2, 3)[1, 1:].subgridspec(3, 8)
    for k in range(24):
        ax = fig.add_subplot(grid[k // 8, k % 8])
        ax.imshow(s.X_test[k].reshape(8, 8), cmap="gray_r")
        ok = mlp["pred"][k] == s.y_test[k]
        ax.set_title(str(mlp["pred"][k]), color="k" if ok else "r", fontsize=9)
        ax.axis("off")
    fig.tight_layout()
    fig.savefig(args.out, dpi=100)
    print(f"\nsaved {args.out}")


if __name__ == "__main__":
    main()
