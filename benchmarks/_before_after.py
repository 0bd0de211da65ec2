"""optkit alone on the benchmarks' instances, one JSON line per (instance, method): run it under two
checkouts to compare them (the peers' code does not change between them, so neither do their times):

    PYTHONPATH=/path/to/old/checkout python benchmarks/_before_after.py > before.jsonl
    PYTHONPATH=$PWD python benchmarks/_before_after.py > after.jsonl

Arguments select cases by substring. Each time is the median of 3 runs after a compiling run; the
iteration counts and objectives show whether the iterates changed."""
import json, sys, time, warnings
warnings.simplefilter("ignore")
import numpy as np
import optkit as ok
from optkit.problems import Lasso, SparseInverseCovariance, RobustPCA, CompressivePCP, RobustTensorRecovery, EntropicOT
from optkit.datasets import lasso_instance, sics_instance, lowrank_sparse_instance
from optkit.datasets.tensor import planted_tucker

def lasso(f):
    A, b, lam = lasso_instance(1000, 5000, seed=0).values()
    lam_max = float(np.abs(A.T @ b).max())
    return Lasso(A, b, lam=f * lam_max)

def cases():
    from optkit._registry import all_methods
    apg = "pcp_apg" if "pcp_apg" in all_methods() else "apg"
    M1 = lowrank_sparse_instance(300, 250, rank=10, seed=1)[0]
    M2 = lowrank_sparse_instance(400, 300, rank=10, seed=2)[0]
    T = planted_tucker((50, 50, 50), 5, seed=0).T
    rng = np.random.default_rng(0)
    X, Y = rng.random((1000, 2)), rng.random((1000, 2))
    return [
        ("lasso 1000x5000 0.1", lambda: lasso(0.1), "alm", dict(tol=1e-8)),
        ("lasso 1000x5000 0.1", lambda: lasso(0.1), "fast_alm", dict(tol=1e-8)),
        ("lasso 1000x5000 0.1", lambda: lasso(0.1), "fista", dict(tol=1e-8)),
        ("lasso 1000x5000 0.01", lambda: lasso(0.01), "alm", dict(tol=1e-8)),
        ("sics p=200 0.1", lambda: SparseInverseCovariance(**sics_instance(200, seed=0, lam=0.1)), "alm", dict(tol=1e-7)),
        ("sics p=200 0.1", lambda: SparseInverseCovariance(**sics_instance(200, seed=0, lam=0.1)), "fast_alm", dict(tol=1e-7)),
        ("rpca 300x250 (60 it)", lambda: RobustPCA(M1), "ialm", dict(tol=1e-300, max_iter=60, balance=False)),
        ("cpcp 400x300", lambda: CompressivePCP.from_noise_level(M2, delta=1e-3), "fw_t", dict(tol=1e-3)),
        ("cpcp 400x300", lambda: CompressivePCP.from_noise_level(M2, delta=1e-3), apg, dict(tol=1e-3)),
        ("tensor 50^3 (200 it)", lambda: RobustTensorRecovery(T), "adal", dict(tol=1e-300, max_iter=200)),
        ("ot 1000 reg 1e-2", lambda: EntropicOT.from_point_clouds(X, Y, reg=1e-2), "sinkhorn", dict(tol=1e-6)),
        ("ot 1000 reg 1e-3", lambda: EntropicOT.from_point_clouds(X, Y, reg=1e-3), "sns", dict(tol=1e-6)),
    ]

only = sys.argv[1:]
for name, make, method, opts in cases():
    key = f"{name} | {method}"
    if only and not any(o in key for o in only):
        continue
    try:
        p = make()
        ok.solve(p, method=method, **{**opts, "max_iter": 3})  # compile
    except Exception as e:
        print(json.dumps({"case": key, "error": repr(e)[:200]}), flush=True)
        continue
    ts = []
    for _ in range(3):
        t = time.perf_counter(); r = ok.solve(p, method=method, **opts); ts.append(time.perf_counter() - t)
    print(json.dumps({"case": key, "time": sorted(ts)[1], "nit": r.nit, "status": r.status.name, "fun": r.fun}), flush=True)
