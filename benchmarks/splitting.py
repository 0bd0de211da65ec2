"""Sums of K convex functions: MSA / FaMSA / consensus ADMM against pyproximal, CVXPY and Weiszfeld.

Protocol (every solver measured the same way, in one process): the time at which the relative
objective error ``(f - f*) / |f*|`` of the iterate first reaches ``TARGET = 1e-4``, with ``f*`` from
a tol = 1e-8 optkit ADMM run (relative duality gap, so ``f*`` is within 1e-8 of the optimum; CVXPY
agrees at 64 x 64). optkit runs stop through a callback at the first check that meets the target
(its certificate evaluations stay on the clock); peers are traced every few iterations with the
evaluation of our objective off their clock. CVXPY is timed in full (model building included).

Sections:

- ``mri``: compressed-sensing MRI of the Shepp-Logan phantom (25% of k-space, centre kept, noise 1%),
  :math:`\\tfrac12\\|MFx - b\\|^2 + \\lambda(TV_r + TV_c)`, against pyproximal's PrimalDual, ADMML2 and
  GeneralizedProximalGradient; CVXPY (SCS, Clarabel) on the 64 x 64 instance.
- ``deblur``: ``camera`` with a periodic Gaussian blur (sigma 2 px) and 1% noise, same peers.
- ``fermat_weber``: 10^4 points in R^50 against CVXPY and the Weiszfeld iteration.
- ``rates``: MSA and FaMSA on 256 x 256 TV denoising: iterations to 1e-4 on the problem as given
  (continuation on the smoothing) and the error curves on a fixed smoothing (O(1/k), O(1/k^2)).
- ``threads``: the batched TV prox step on 1 and 2 Numba threads.

Run: ``python -m benchmarks.splitting`` (``--quick`` for a small smoke run; ``--mri-size``,
``--deblur-size`` to change the sizes; ``--methods``, ``--peers``, ``--small-size 0`` and ``--ref-tol``
to fit a large instance in a time budget, ``--repeat`` for interleaved rounds of which the median is
kept, the plotted curve being the last round's). E.g. the issue's sizes, the default method against
pyproximal's fastest: ``python -m benchmarks.splitting --sections mri --mri-size 256 --methods admm
--peers PrimalDual --small-size 0 --ref-tol 1e-7 --repeat 2 --tag _mri256``.
"""
from __future__ import annotations

import argparse
import json
import math
import time
import warnings

import numpy as np

import optkit
from optkit.datasets import blurred_camera, fermat_weber_points, mri_phantom, noisy_image
from optkit.problems import FermatWeber, TVImageRecovery

from ._harness import Row, plot_histories, ratio_table, write
from ._splitting_peers import Trace, cvxpy_solve, pyproximal_tv, weiszfeld

TARGET = 1e-4
METHODS = ("admm", "famsa", "msa")
PYPROXIMAL = ("PrimalDual", "ADMML2", "GeneralizedProximalGradient")
MEASURE = "rel_objective_error"


def _rel(f: float, fstar: float) -> float:
    return abs(f - fstar) / abs(fstar)


def reference(problem, tol: float = 1e-8, max_iter: int = 100_000) -> float:
    res = optkit.solve(problem, method="admm", tol=tol, max_iter=max_iter)
    return float(res.fun)


def optkit_row(name, problem, method, fstar, curves, limit_s, by_iterations=False, **options) -> Row:
    """Run ``method`` until the relative objective error reaches TARGET (or ``limit_s`` passes)."""
    def stop(snap):
        return _rel(snap.fun, fstar) <= TARGET or snap.time > limit_s

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = optkit.solve(problem, method=method, **{"tol": 1e-12, "max_iter": 10**6, "callback": stop, **options})
    h = res.history
    errs = [_rel(f, fstar) for f in h["fun"]]
    hit = next((i for i, e in enumerate(errs) if e <= TARGET), len(errs) - 1)
    curves[name][f"optkit {method}"] = (list(h["nit" if by_iterations else "time"]), errs)
    return Row(name, method, "optkit", float(h["time"][hit]), int(h["nit"][hit]), float(h["fun"][hit]), MEASURE,
               errs[hit], bool(errs[hit] <= TARGET))


def _peer_row(name, package, method, out, curves) -> Row:
    curves[name][f"{package} {method}"] = out.pop("curve", ([], []))
    return Row(name, method, package, out["time_s"], out["iterations"], out["objective"], MEASURE, out["error"],
               out["success"])


def image_rows(name, problem, fstar, curves, limit_s, methods=METHODS, peers=PYPROXIMAL, every=5,
               peer_iter=20_000, repeat=1) -> list[Row]:
    """Every optkit method and pyproximal solver on ``problem``, ``repeat`` rounds with the solvers
    interleaved (so that all see the same windows of the machine's load); the round of median time
    is kept for each."""
    curves[name] = {}
    runs: dict = {}
    for _ in range(repeat):
        for m in methods:
            runs.setdefault(m, []).append(optkit_row(name, problem, m, fstar, curves, limit_s))
        for method in peers or ():
            trace = Trace(problem.objective, fstar, TARGET, every=every, shape=problem.shape, limit=limit_s)
            out = pyproximal_tv(problem, method, trace, peer_iter)
            runs.setdefault(method, []).append(_peer_row(name, "pyproximal", method, out, curves))
    return [sorted(group, key=lambda r: r.time_s)[(len(group) - 1) // 2] for group in runs.values()]


def cvxpy_rows(name, problem, fstar, curves, limit_s) -> list[Row]:
    rows = []
    for solver, eps in (("SCS", 1e-6), ("CLARABEL", 1e-8)):
        out = cvxpy_solve(problem, solver, fstar, eps, limit_s)
        curves[name][f"cvxpy {solver}"] = ([out["time_s"]], [out["error"]])
        rows.append(Row(name, f"{solver}(eps={eps:g})", "cvxpy", out["time_s"], out["iterations"], out["objective"],
                        MEASURE, out["error"], out["success"]))
    return rows


def image_section(label, make, sizes, small, curves, limit_s, cvxpy_limit_s, methods=METHODS, peers=PYPROXIMAL,
                  ref_tol=1e-8, refs=None, repeat=1) -> list[Row]:
    """The instances of ``sizes`` against the peers, then (``small`` > 0) the small one against CVXPY too.
    ``refs`` collects each instance's reference objective and the tolerance it was solved to."""
    rows = []
    refs = {} if refs is None else refs
    for size in sizes:
        p = make(size)
        fstar = reference(p, tol=ref_tol)
        refs[f"{label}_{size}"] = {"fstar": fstar, "tol": ref_tol}
        rows += image_rows(f"{label}_{size}", p, fstar, curves, limit_s, methods, peers, repeat=repeat)
    if not small:
        return rows
    p = make(small)
    fstar = reference(p, tol=1e-9)
    refs[f"{label}_{small}"] = {"fstar": fstar, "tol": 1e-9}
    rows += image_rows(f"{label}_{small}", p, fstar, curves, limit_s, methods, peers)
    rows += cvxpy_rows(f"{label}_{small}", p, fstar, curves, cvxpy_limit_s)
    return rows


def mri_problem(size: int) -> TVImageRecovery:
    d = mri_phantom(size)
    return TVImageRecovery(d.b, lam_tv=d.lam_tv, operator=d.operator, truth=d.truth)


def deblur_problem(size: int) -> TVImageRecovery:
    d = blurred_camera(size)
    return TVImageRecovery(d.b, lam_tv=d.lam_tv, operator=d.operator, truth=d.truth)


def fermat_weber_section(K, d, curves, limit_s, cvxpy_limit_s) -> list[Row]:
    name = f"fermat_weber_{K}x{d}"
    points, weights = fermat_weber_points(K, d)
    p = FermatWeber(points, weights)
    fstar = reference(p, tol=1e-10)
    curves[name] = {}
    rows = [optkit_row(name, p, m, fstar, curves, limit_s) for m in METHODS]
    trace = Trace(p.objective, fstar, TARGET, every=1, limit=limit_s)
    rows.append(_peer_row(name, "classical", "weiszfeld", weiszfeld(points, weights, trace, 100_000), curves))
    rows += cvxpy_rows(name, p, fstar, curves, cvxpy_limit_s)
    return rows


def rates_section(size, curves, rate_size=48, sigma=0.05, max_iter=4000) -> dict:
    """Iterations of MSA and FaMSA to TARGET on TV denoising (the problem as given: continuation on the
    smoothing), and their error curves at a fixed smoothing on CS-MRI (not strongly convex: the
    denoising objective is, and both methods converge linearly there)."""
    d = noisy_image("shepp_logan", size, noise=0.1)
    p = TVImageRecovery(d.b, lam_tv=d.lam_tv)
    fstar = reference(p, tol=1e-9)
    out = {}
    name = f"rates: denoise {size}x{size}, continuation"
    curves[name] = {}
    for m in ("msa", "famsa"):
        row = optkit_row(name, p, m, fstar, curves, 600.0, by_iterations=True, check_every=5, max_iter=max_iter)
        out[m] = {"iterations": row.iterations, "error": row.measure, "time_s": row.time_s, "success": row.success}
    out["famsa_over_msa"] = out["famsa"]["iterations"] / out["msa"]["iterations"]
    # fixed smoothing, no restart: the rates of the methods themselves
    ps = mri_problem(rate_size).smoothed(sigma)
    fs = float(optkit.solve(ps, method="famsa", tol=1e-12, max_iter=100_000).fun)
    series = {}
    for m in ("msa", "famsa"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = optkit.solve(ps, method=m, tol=1e-13, max_iter=max_iter, check_every=1, restart=False)
        its = np.asarray(res.history["nit"], dtype=float)
        err = np.maximum(np.asarray(res.history["fun"]) - fs, 1e-16) / abs(fs)
        series[m] = (its.tolist(), err.tolist())
        keep = (its >= 10) & (err > 1e-9)
        slope = float(np.polyfit(np.log(its[keep]), np.log(err[keep]), 1)[0]) if keep.sum() > 3 else math.nan
        out[f"{m}_loglog_slope"] = slope
    out["rate_instance"] = f"mri {rate_size}x{rate_size} smoothed, sigma={sigma:g}"
    curves[f"rates: mri {rate_size}x{rate_size}, fixed sigma={sigma:g}, no restart"] = series
    return out


def threads_section(size, repeat=200) -> dict:
    """The batched TV prox of two ``size x size`` images (rows, columns) on 1 and 2 Numba threads."""
    import numba  # noqa: PLC0415

    from optkit.kernels import splitting as kernels  # noqa: PLC0415
    from optkit.kernels.splitting import _items, _jit  # noqa: PLC0415

    rng = np.random.default_rng(0)
    X = tuple(rng.standard_normal(size * size) for _ in range(2))
    out = tuple(np.empty_like(x) for x in X)
    items = _items((size, size), (1, 0), _jit.BLOCK)
    lams = np.array([0.1, 0.1])
    kernels.tv_prox([x.reshape(size, size) for x in X], [0.1, 0.1], [1, 0])      # compile
    _jit.tv_lines_parallel(X, out, lams, *items)
    # 1 and 2 threads alternate, so that both see the same windows of the machine's load; best of each
    times = {1: math.inf, 2: math.inf}
    saved = numba.get_num_threads()
    for _ in range(repeat):
        for n in (1, 2):
            numba.set_num_threads(min(n, numba.config.NUMBA_NUM_THREADS))
            t = time.perf_counter()
            _jit.tv_lines_parallel(X, out, lams, *items)
            times[n] = min(times[n], time.perf_counter() - t)
    numba.set_num_threads(saved)
    return {"size": size, "time_1_thread_s": times[1], "time_2_threads_s": times[2],
            "speedup": times[1] / times[2], "numba_threads_available": numba.config.NUMBA_NUM_THREADS}


def _peer_versions() -> dict:
    from importlib import metadata  # noqa: PLC0415

    out = {}
    for name in ("pyproximal", "pylops"):
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def _warm_up() -> None:
    """Compile the Numba kernels before anything is timed."""
    p = mri_problem(16)
    for m in METHODS:
        optkit.solve(p, method=m, max_iter=30)


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small sizes, short limits (smoke run)")
    ap.add_argument("--mri-size", type=int, default=256)
    ap.add_argument("--deblur-size", type=int, default=512)
    ap.add_argument("--denoise-size", type=int, default=256)
    ap.add_argument("--fw", type=int, nargs=2, default=(10_000, 50), metavar=("K", "d"))
    ap.add_argument("--limit", type=float, default=120.0, help="seconds per iterative solver run")
    ap.add_argument("--cvxpy-limit", type=float, default=300.0)
    ap.add_argument("--sections", nargs="+", default=["threads", "rates", "fermat_weber", "mri", "deblur"])
    ap.add_argument("--tag", default="", help="suffix of the results file")
    ap.add_argument("--methods", nargs="+", default=list(METHODS), help="optkit methods of the image sections")
    ap.add_argument("--peers", nargs="*", default=list(PYPROXIMAL), help="pyproximal solvers of the image sections")
    ap.add_argument("--ref-tol", type=float, default=1e-8,
                    help="relative duality gap of the ADMM reference of the large image instances (its objective "
                         "is then within that of the optimum)")
    ap.add_argument("--repeat", type=int, default=1, help="interleaved rounds of the large image instances (median)")
    ap.add_argument("--small-size", type=int, default=64, help="the CVXPY instance of the image sections (0: none)")
    args = ap.parse_args(argv)
    if args.quick:
        args.mri_size, args.deblur_size, args.denoise_size, args.fw = 32, 32, 32, (500, 10)
        args.limit, args.cvxpy_limit, args.tag = 20.0, 60.0, args.tag or "_quick"
    _warm_up()
    rows: list[Row] = []
    curves: dict = {}
    extra: dict = {"target": TARGET, "sizes": vars(args), "peer_versions": _peer_versions()}
    family = "splitting" + args.tag

    def save():
        write(family, rows, extra)

    for section in args.sections:
        start = time.perf_counter()
        if section == "threads":
            extra["threads_prox"] = [threads_section(s) for s in (256, 512, 1024)]
        elif section == "rates":
            extra["rates"] = rates_section(args.denoise_size, curves)
        elif section == "fermat_weber":
            rows += fermat_weber_section(*args.fw, curves, args.limit, args.cvxpy_limit)
        elif section in ("mri", "deblur"):
            make = mri_problem if section == "mri" else deblur_problem
            size = args.mri_size if section == "mri" else args.deblur_size
            small = 16 if args.quick else args.small_size
            rows += image_section(section, make, [size], small, curves, args.limit, args.cvxpy_limit, args.methods,
                                  args.peers, args.ref_tol, extra.setdefault("references", {}), args.repeat)
        else:
            raise ValueError(f"unknown section {section!r}")
        extra.setdefault("section_seconds", {})[section] = time.perf_counter() - start
        save()
    extra["ratios"] = ratios(rows)
    save()
    timed_curves = {k: v for k, v in curves.items() if not k.startswith("rates")}
    path = plot_histories(family, timed_curves, MEASURE, hline=TARGET) if timed_curves else None
    if any(k.startswith("rates") for k in curves):
        plot_histories(family + "_rates", {k: v for k, v in curves.items() if k.startswith("rates")}, MEASURE,
                       xlabel="iterations (log scale)", hline=TARGET)
    print(ratio_table(rows, "admm"))
    print(json.dumps({k: extra[k] for k in ("threads_prox", "rates", "ratios") if k in extra}, indent=1, default=float))
    print("plot:", path)
    return extra


def ratios(rows: list[Row]) -> dict:
    """Per instance: each peer's time to TARGET over the default method's (admm); NaN when either missed it."""
    out = {}
    for inst in dict.fromkeys(r.instance for r in rows):
        group = [r for r in rows if r.instance == inst]
        ref = next(r for r in group if r.package == "optkit" and r.method == "admm")
        out[inst] = {r.key: (r.time_s / ref.time_s if r.success and ref.success else math.nan)
                     for r in group if r is not ref}
    return out


if __name__ == "__main__":
    main()
