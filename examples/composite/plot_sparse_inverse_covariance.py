"""Sparse inverse covariance (graphical lasso) on real data: the breast-cancer features
bundled with scikit-learn (569 samples, 30 features).

Solves the SICS problem for a range of lam with ALM, prints a table beside
scikit-learn's graphical_lasso (objective, certified duality gap, nonzeros,
time) and saves the sparsity patterns as a picture.

Run: python examples/composite/sparse_inverse_covariance.py [--out sics_breast_cancer.png]
"""
from __future__ import annotations

import argparse
import time
import warnings

import numpy as np

import optkit
from optkit.problems import SparseInverseCovariance


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="sics_breast_cancer.png")
    args = parser.parse_args()

    from sklearn.covariance import graphical_lasso
    from sklearn.datasets import load_breast_cancer

    X = load_breast_cancer().data
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    S = np.cov(X, rowvar=False, bias=True)

    lams = [0.3, 0.1, 0.03, 0.01]
    print(f"{'lam':>6} {'optkit objective':>17} {'cert. gap':>10} {'nnz':>5} {'time (s)':>9}   "
          f"{'sklearn objective':>17} {'nnz':>5} {'time (s)':>9}")
    precisions = []
    for lam in lams:
        problem = SparseInverseCovariance(S, lam)
        start = time.perf_counter()
        res = optkit.solve(problem, tol=1e-8)
        t_ok = time.perf_counter() - start
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            start = time.perf_counter()
            try:
                _, prec = graphical_lasso(S, alpha=lam, tol=1e-6, max_iter=1000)
                sk = f"{problem.objective(prec):>17.10f} {int(np.sum(np.abs(prec) > 1e-8)):>5d}"
            except FloatingPointError as exc:  # scikit-learn gives up on ill-conditioned S
                sk = f"{'failed: ' + str(exc)[:20]:>23}"
            t_sk = time.perf_counter() - start
        nnz = int(np.sum(np.abs(res.x) > 1e-8))
        print(f"{lam:>6g} {res.fun:>17.10f} {res.optimality:>10.1e} {nnz:>5d} {t_ok:>9.3f}   "
              f"{sk} {t_sk:>9.3f}")
        precisions.append(res.x)

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(lams), figsize=(3.2 * len(lams), 3.4))
    for ax, lam, P in zip(axes, lams, precisions):
        ax.imshow(np.abs(P) > 1e-8, cmap="Greys")
        ax.set_title(f"lam = {lam:g}")
        ax.set_xticks([])
        ax.set_yticks([])
    fig.suptitle("Sparsity of the estimated precision matrix (breast-cancer features)")
    fig.tight_layout()
    fig.savefig(args.out, dpi=110)
    print(f"saved {args.out}")


if __name__ == "__main__":
    main()
