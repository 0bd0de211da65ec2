"""A Lasso regularisation path on real data: scikit-learn's bundled diabetes set
(442 patients, 10 features, standardised), solved with warm starts.

Prints, for each lam, the objective, the certified relative duality gap, the
support size and the distance to scikit-learn's coordinate-descent solution;
saves the coefficient paths as a picture.

Run: python examples/composite/lasso_path.py [--out lasso_path_diabetes.png]
"""
from __future__ import annotations

import argparse

import numpy as np

import optkit
from optkit.problems import Lasso


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="lasso_path_diabetes.png")
    args = parser.parse_args()

    from sklearn.datasets import load_diabetes
    from sklearn.linear_model import Lasso as SkLasso

    A, b = load_diabetes(return_X_y=True)
    A = (A - A.mean(axis=0)) / A.std(axis=0)
    b = b - b.mean()
    lam_max = float(np.max(np.abs(A.T @ b)))
    lams = lam_max * np.logspace(0, -3, 12)

    print(f"{'lam/lam_max':>11} {'objective':>14} {'cert. gap':>10} {'support':>8} {'|x - x_sklearn|':>16} {'nit':>5}")
    x, path = None, []
    for lam in lams:
        res = optkit.solve(Lasso(A, b, float(lam)), x0=x, tol=1e-10)
        x = res.x
        ref = SkLasso(alpha=lam / A.shape[0], fit_intercept=False, tol=1e-12, max_iter=100000).fit(A, b).coef_
        print(f"{lam / lam_max:>11.4f} {res.fun:>14.6f} {res.optimality:>10.1e} {int(np.sum(x != 0)):>8d} "
              f"{np.linalg.norm(x - ref):>16.2e} {res.nit:>5d}")
        path.append(x)

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    ax.semilogx(lams / lam_max, np.array(path))
    ax.invert_xaxis()
    ax.set_xlabel("lam / lam_max")
    ax.set_ylabel("coefficient")
    ax.set_title("Lasso path, diabetes data (optkit ALM, warm starts)")
    fig.tight_layout()
    fig.savefig(args.out, dpi=110)
    print(f"saved {args.out}")


if __name__ == "__main__":
    main()
