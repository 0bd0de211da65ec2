"""The kernels ``benchmarks.roofline`` times, each at a size well past the caches, with the bytes
(and exponentials or flops) one pass must cost. Byte counts: each input read once, each output
written once, nothing for write-allocate; index arrays at their stored width."""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
import scipy.sparse as sp

F8 = 8.0


@dataclass
class Case:
    """One kernel at one size: how to run a pass in each build and what it must cost.

    ``run[config]`` returns the seconds of one pass (a closure, which may time the difference of
    two calls, as for the CG iterations); ``nbytes``, ``nexp`` and ``flops`` are per pass.
    """

    name: str
    family: str
    size: str
    run: dict[str, Callable[[], float]]
    nbytes: float
    nexp: float = 0.0
    flops: float = 0.0
    note: str = ""
    blas: bool = False


def _once(fn: Callable, args: Callable[[str], tuple], config: str) -> Callable[[], float]:
    def run() -> float:
        a = args(config)
        t0 = time.perf_counter()
        fn(*a)
        return time.perf_counter() - t0
    return run


def _runs(module: Any, name: str, args: Callable[[str], tuple]) -> dict[str, Callable[[], float]]:
    """Serial build, and the threaded build under 1 and 2 threads."""
    return {"serial": _once(getattr(module, f"{name}_serial"), args, "serial"),
            "threaded-1": _once(getattr(module, f"{name}_parallel"), args, "threaded-1"),
            "threaded-2": _once(getattr(module, f"{name}_parallel"), args, "threaded-2")}


def _nthreads(config: str) -> int:
    return 2 if config.endswith("-2") else 1


# --- entropic transport ---------------------------------------------------------------------------


def transport(quick: bool):
    from optkit.kernels.transport import _jit as k

    n = m = 400 if quick else 2000
    rng = np.random.default_rng(1)
    C = rng.random((n, m))
    f, g = np.zeros(n), np.zeros(m)
    reg = 0.1
    thr = np.full(n, -1.0)            # keeps C_ij <= 0.1: ~10% of the entries
    size = f"{n}x{m} f64 ({8 * n * m / 2**20:.0f} MiB)"
    vec = F8 * (n + m)

    def chunks(config: str) -> int:
        return 1 if config == "serial" else 4 * _nthreads(config)

    yield Case("ot_softmin_rows", "transport", size, _runs(k, "softmin_rows", lambda c: (C, g, reg)),
               F8 * n * m + vec, nexp=n * m,
               note="one exp per entry (the row max pass reuses the row from L1/L2).")
    yield Case("ot_gibbs", "transport", size, _runs(k, "gibbs", lambda c: (C, f, g, reg, -np.inf)),
               2 * F8 * n * m + vec, nexp=n * m,
               note="reads C, writes K (allocated inside the kernel: fresh pages are part of the pass).")
    yield Case("ot_gibbs_marginals (Sinkhorn sweep)", "transport", size,
               _runs(k, "gibbs_marginals", lambda c: (C, f, g, reg, -np.inf, chunks(c), thr)),
               F8 * n * m + 3 * vec, nexp=n * m,
               note="the Sinkhorn/SNS sweep: reads C once, row and column sums and the CSR row counts.")
    _, _, counts = k.gibbs_marginals_serial(C, f, g, reg, -np.inf, 1, thr)
    nnz = int(counts.sum())
    yield Case("ot_gibbs_sparse", "transport", size,
               _runs(k, "gibbs_sparse", lambda c: (C, f, g, reg, thr, counts)),
               F8 * n * m + 16.0 * nnz + vec, nexp=nnz,
               note=f"reads C, writes the {nnz} kept entries (value + int64 index).")
    log_a = np.full(n, -np.log(n))
    yield Case("ot_gibbs_init", "transport", size, _runs(k, "gibbs_init", lambda c: (C, g, reg, log_a)),
               2 * F8 * n * m + vec, nexp=n * m, note="reads C, writes K (allocated inside).")
    K = np.exp(-C / reg)
    u, v = rng.random(n), rng.random(m)
    yield Case("ot_scale_kernel", "transport", size, _runs(k, "scale_kernel", lambda c: (K, u, v)),
               2 * F8 * n * m + vec, note="reads K, writes the plan (allocated inside).")
    yield _newton_cg(k, C, f, g, reg, n, m)


def _newton_cg(k, C, f, g, reg, n, m):
    """Time per CG iteration (one Schur-complement Hessian product) as a difference of two runs."""
    thr = np.full(n, -5.0)            # keeps C_ij <= 0.5: half the plan
    _, _, counts = k.gibbs_marginals_serial(C, f, g, reg, -np.inf, 1, thr)
    indptr, indices, data = k.gibbs_sparse_serial(C, f, g, reg, thr, counts)
    P = sp.csr_matrix((data, indices, indptr), shape=(n, m))
    r = np.asarray(P.sum(axis=1)).ravel()
    c = np.asarray(P.sum(axis=0)).ravel()
    rng = np.random.default_rng(2)
    bx, by = rng.standard_normal(n), rng.standard_normal(m - 1)
    lo, hi = 10, 30

    def run_for(config: str) -> Callable[[], float]:
        fn = k.newton_cg_serial if config == "serial" else k.newton_cg_parallel
        nch = 1 if config == "serial" else _nthreads(config)

        def one(it: int) -> float:
            t0 = time.perf_counter()
            _, _, done = fn(indptr, indices, data, r, c, bx, by, 0.0, it, nch)
            dt = time.perf_counter() - t0
            if done != it:
                raise RuntimeError(f"CG stopped after {done} of {it} iterations")
            return dt

        return lambda: (one(hi) - one(lo)) / (hi - lo)

    nnz = data.size
    return Case("ot_newton_cg (SNS Hessian product)", "transport", f"{n}x{m}, nnz {nnz} ({16 * nnz / 2**20:.0f} MiB)",
                {c_: run_for(c_) for c_ in ("serial", "threaded-1", "threaded-2")}, 16.0 * nnz + F8 * n,
                note="per CG iteration (difference of 30- and 10-iteration runs): the product "
                     "S p = c p - P^T diag(1/r) P p must read the sparse plan (value + int64 index) once; "
                     "a row's dot product and its scatter can share one read of the row.")


# --- robust PCA, tensor ----------------------------------------------------------------------------


def rpca(quick: bool):
    from optkit.kernels.rpca import _jit as k

    m, n = (400, 300) if quick else (2048, 1536)
    rng = np.random.default_rng(3)
    L, S, M, G, Y, L_prev = (rng.standard_normal((m, n)) for _ in range(6))
    W = np.ones((1, 1))
    u, v = rng.standard_normal(m), rng.standard_normal(n)
    out, out2, out3 = np.empty((m, n)), np.empty((m, n)), np.empty((m, n))
    size = f"{m}x{n} f64 ({8 * m * n / 2**20:.0f} MiB/array)"
    mn = F8 * m * n
    yield Case("lowrank_residual", "rpca", size, _runs(k, "lowrank_residual", lambda c: (L, S, M, W, False, out)),
               4 * mn, note="reads L, S, M; writes R (buffer given).")
    yield Case("fw_quadratic", "rpca", size,
               _runs(k, "fw_quadratic", lambda c: (G, L, S, W, False, u, v, 0.7)), 3 * mn,
               note="FW-T line search: reads G, L, S.")
    yield Case("fw_update (FW-T fused pass)", "rpca", size,
               _runs(k, "fw_update", lambda c: (L, S, M, W, False, u, v, 0.7, 0.3, 0.2, 3, 4, 0.5, 0.1,
                                                out, out2, out3)), 6 * mn,
               note="reads L, S, M; writes L, S, G (buffers given, as the solver does).")
    yield Case("ialm_svt_input", "rpca", size,
               _runs(k, "ialm_svt_input", lambda c: (M, S, Y, L, W, False, 0.5, out)), 4 * mn,
               note="reads M, S, Y; writes the SVT input (buffer given here; the dispatcher allocates it).")
    yield Case("ialm_multiplier_step", "rpca", size,
               _runs(k, "ialm_multiplier_step", lambda c: (M, L, L_prev, S, Y, W, False, 2.0, 0.1, out, out2)),
               6 * mn, note="reads M, L, S, Y; writes S, Y (buffers given; the dispatcher allocates them).")


def tensor(quick: bool):
    from optkit.kernels.tensor import _jit as k
    from optkit.linalg import svt

    n, K = (1 << 16, 3) if quick else (1 << 20, 3)
    rng = np.random.default_rng(4)
    Ls = tuple(rng.standard_normal(n) for _ in range(K))
    Lam, W = rng.standard_normal((K, n)), np.empty((K, n))
    ZE, LamE, T, Yprev = (rng.standard_normal(n) for _ in range(4))
    Y, ZE_out = np.empty(n), np.empty(n)
    mask = np.zeros(0, dtype=np.bool_)
    yield Case("adal_singleton", "tensor", f"{K} x {n} f64 ({8 * n / 2**20:.0f} MiB/array)",
               _runs(k, "adal_singleton", lambda c: (Ls, Lam, W, ZE, LamE, T, mask, 0.1, Y, ZE_out, Yprev, True)),
               F8 * n * (4 * K + 7), note=f"reads L_k, Lam_k, ZE, LamE, T, Yprev; writes Y, ZE, LamE, Lam_k, W_k (K = {K}).")
    m, p, rank = (4000, 100, 10) if quick else (20000, 200, 20)
    X = rng.standard_normal((m, rank)) @ rng.standard_normal((rank, p)) * 3 + rng.standard_normal((m, p))
    sv = np.linalg.svd(X, compute_uv=False)
    tau = 0.5 * (sv[rank - 1] + sv[rank])

    def run() -> float:
        t0 = time.perf_counter()
        _, r = svt(X, tau)
        dt = time.perf_counter() - t0
        assert r == rank
        return dt

    flops = m * p * p + 4.0 * m * p * rank + 4.0 / 3.0 * p ** 3
    yield Case("svt via the Gram side", "tensor", f"{m}x{p} f64 rank {rank} ({8 * m * p / 2**20:.0f} MiB)",
               {"serial": run, "threaded-2": run}, 2 * F8 * m * p, flops=flops, blas=True,
               note="BLAS (serial = 1 BLAS thread, threaded-2 = 2); flop bound: the Gram matrix as a "
                    "symmetric rank-m update (m p^2), the tridiagonal reduction (4/3 p^3) and the "
                    "product applied through the k kept vectors (4 m p k).")


# --- shared prox kernels, stochastic -------------------------------------------------------------


def shared(quick: bool):
    from optkit.kernels import _jit as k

    n = 1 << (17 if quick else 22)
    rng = np.random.default_rng(5)
    x = rng.standard_normal(n)
    out = np.empty(n)
    size = f"{n} f64 ({8 * n / 2**20:.0f} MiB)"
    yield Case("soft_threshold (prox of l1)", "shared", size, _runs(k, "soft_threshold", lambda c: (x, 0.3, out)),
               2 * F8 * n, note="reads x, writes the output (buffer given).")
    radius = 0.05 * float(np.abs(x).sum())

    def run() -> float:
        t0 = time.perf_counter()
        k.l1_ball_threshold(x, radius)
        return time.perf_counter() - t0

    yield Case("l1_ball_threshold", "shared", size, {"serial": run}, F8 * n,
               note="Michelot's fixed point, each pass over the previous pass's active set (compacted): "
                    "on these 4M Gaussian entries 7 passes visit 2.2 n entries, the first also writes the "
                    "n-entry buffer; the bound counts one read of z. No threaded build.")


def stochastic(quick: bool):
    from optkit.kernels.stochastic import _jit as k

    p, d = (10, 1 << 15) if quick else (10, 400_000)
    rng = np.random.default_rng(6)
    S, Yh = rng.standard_normal((p, d)), rng.standard_normal((p, d))
    rho = 1.0 / np.abs(np.einsum("ij,ij->i", S, Yh))
    g = rng.standard_normal(d)
    order = np.arange(p - 1, -1, -1, dtype=np.int64)
    yield Case("two_loop (L-BFGS direction)", "stochastic", f"p={p}, d={d} ({16 * p * d / 2**20:.0f} MiB)",
               _runs(k, "two_loop", lambda c: (g, S, Yh, rho, order, 0.9)), F8 * (2 * p * d + 2 * d),
               note="the bound reads S and Y once; the recursion needs them twice (second loop after the "
                    "first, oldest to newest), so 2 is its floor unless the memory fits in cache (each sweep over q does one update and the next dot product).")
    n2 = 1 << (18 if quick else 22)
    s, y, z = rng.standard_normal(n2), rng.standard_normal(n2), np.zeros(n2)
    Sm, Ym, rm = np.zeros((2, n2)), np.zeros((2, n2)), np.zeros(2)
    yield Case("damped_pair", "stochastic", f"d={n2}",
               _runs(k, "damped_pair", lambda c: (s, z, y, z, 0.2, Sm, Ym, rm, 1, 0.0, False)),
               6 * F8 * n2, note="reads x, x0, g, g0 (s = x - x0 and y = g - g0 are not formed); writes the new S "
                                 "and Y rows; its second pass reads the four again, so 1.7 is its floor.")
    nrow, dcol, dens = (20000, 1000, 0.01) if quick else (200_000, 2000, 0.01)
    X = sp.random(nrow, dcol, density=dens, format="csr", random_state=7, dtype=np.float64)
    rows = rng.choice(nrow, nrow // 2, replace=False)
    sel = int(np.diff(X.indptr)[rows].sum())
    Wv = rng.standard_normal((dcol, 1))
    Rv = rng.standard_normal((rows.size, 1))
    ib = X.indices.dtype.itemsize
    base = (F8 + ib) * sel + 2 * X.indptr.dtype.itemsize * rows.size + F8 * rows.size

    def run(fn, *a):
        def go() -> float:
            t0 = time.perf_counter()
            fn(*a)
            return time.perf_counter() - t0
        return go

    size = f"{nrow}x{dcol} CSR, nnz {X.nnz}, batch {rows.size} ({(F8 + ib) * sel / 2**20:.0f} MiB)"
    yield Case("csr_rows_matvec (minibatch X_B w)", "stochastic", size,
               {"serial": run(k.csr_rows_matvec, X.indptr, X.indices, X.data, rows, Wv)},
               base + F8 * dcol + F8 * rows.size, note="reads the batch's rows in place (random rows of a 48 MiB matrix); no threaded build.")
    yield Case("csr_rows_rmatvec (minibatch X_B^T r)", "stochastic", size,
               {"serial": run(k.csr_rows_rmatvec, X.indptr, X.indices, X.data, rows, Rv, dcol)},
               base + F8 * rows.size + F8 * dcol, note="scatter into a dense (d, k) result; no threaded build.")


# --- saddle (treeplex), nlp (sketches) --------------------------------------------------------


def saddle(quick: bool):
    from optkit.kernels.saddle import _jit as k

    J, a = (1 << 15, 3) if quick else (1 << 20, 3)
    rng = np.random.default_rng(8)
    start = 1 + a * np.arange(J, dtype=np.int64)
    stop = start + a
    # a parent sequence a little above each information set (as in a game tree laid out top-down)
    parent = np.maximum(0, start - 1 - rng.integers(0, 4 * a, J)).astype(np.int64)
    n = int(stop[-1])
    c = rng.standard_normal(n)
    b = np.full(n, 1.0 / a)
    b[0] = 1.0
    x_prev = np.empty(n)
    x_prev[0] = 1.0
    for j in range(J):   # sequence form of the uniform strategy, top-down (setup only)
        x_prev[start[j]:stop[j]] = x_prev[parent[j]] / a
    w = np.ones(J)
    tree = 3 * F8 * J
    size = f"{J} infosets x {a} actions ({8 * n / 2**20:.0f} MiB/vector)"
    yield Case("treeplex_value (best response)", "saddle", size,
               {"serial": _call(k.treeplex_value, c, parent, start, stop, False)}, F8 * n + tree,
               note="one bottom-up pass; reads c and the tree once; no threaded build (a sequential recursion).")
    yield Case("dilated_prox (entropic)", "saddle", size,
               {"serial": _call(k.dilated_prox, x_prev, c, parent, start, stop, w, True)},
               3 * F8 * n + F8 * J + tree, nexp=2 * n,
               note="bottom-up prox then top-down sequence form: reads x_prev, g, weights, the tree; writes x; "
                    "a log and an exp per sequence.")
    regret = np.abs(rng.standard_normal(n))
    yield Case("cfr_plus", "saddle", size, {"serial": _call(k.cfr_plus, c, regret, b, parent, start, stop)},
               6 * F8 * n + tree, note="reads loss, regret, behaviour; writes regret, behaviour, sequence form.")
    nb, ng = (200, 2000) if quick else (1000, 4000)
    V = rng.random((nb, ng))
    s = np.ones(ng)
    yield Case("project_columns (Fisher market)", "saddle", f"{nb}x{ng} f64 ({8 * nb * ng / 2**20:.0f} MiB)",
               {"serial": _call(k.project_columns, V, s)}, 2 * F8 * nb * ng,
               note="Michelot on all columns in row-major passes: one read of V per pass (a mean pass, "
                    "then until no active set changes) and the write; the bound counts one read.")


def _call(fn, *args) -> Callable[[], float]:
    def run() -> float:
        t0 = time.perf_counter()
        fn(*args)
        return time.perf_counter() - t0
    return run


def nlp(quick: bool):
    from optkit.kernels.nlp import _jit as k

    N, deg = (20_000, 8) if quick else (100_000, 8)
    rng = np.random.default_rng(9)
    nz = N * deg // 2
    A = sp.coo_matrix((rng.random(nz), (rng.integers(0, N, nz), rng.integers(0, N, nz))), shape=(N, N)).tocsr()
    K = (A + A.T + sp.identity(N) * deg).tocsr()
    K2 = (K @ K).tocsr()
    K.sort_indices()
    K2.sort_indices()
    rown = np.asarray(K.multiply(K).sum(axis=1)).ravel()
    z0 = rng.standard_normal(N)
    r0 = K @ z0
    z, r = z0.copy(), r0.copy()
    ib = K.indices.dtype.itemsize
    rows = rng.integers(0, N, N).astype(np.int64)
    nk, nk2 = np.diff(K.indptr)[rows].sum(), np.diff(K2.indptr)[rows].sum()
    # per step: the rows of K and K^2 (value + index), z and r entries read and written, r_i and ||K_i||^2
    kb = float((F8 + ib) * (nk + nk2) + 2 * F8 * (nk + nk2) + 2 * F8 * rows.size)
    size = f"N={N}, nnz(K)={K.nnz}, nnz(K^2)={K2.nnz} ({(F8 + ib) * K2.nnz / 2**20:.0f} MiB)"
    yield Case("kaczmarz (one epoch of row steps)", "nlp", size,
               {"serial": _call(k.kaczmarz, K.indptr, K.indices, K.data, K2.indptr, K2.indices, K2.data, rown,
                                rows, z, r, float(r @ r), -1.0)}, kb,
               note="random rows: every z / r entry touched is its own 64-byte line (the bound counts 8 "
                    "bytes), so gathers, not bandwidth, set the pace; sequential by construction.")
    steps = 4 if quick else 16
    Sg = rng.standard_normal((steps, N))
    gb = steps * (2 * ((F8 + ib) * K.nnz + 4.0 * N) + 5 * F8 * N)
    yield Case("gaussian (vector sketches)", "nlp", f"N={N}, {steps} sketches",
               {"serial": _call(k.gaussian, K.indptr, K.indices, K.data, Sg, z, r, float(r @ r), -1.0)}, gb,
               note="per sketch two dependent CSR products (u = K s, then K u) and the z, r updates.")
    kblk = 8
    draws = rng.integers(0, N, (N // kblk, kblk)).astype(np.int64)
    flat = draws.ravel()
    bk, bk2 = np.diff(K.indptr)[flat].sum(), np.diff(K2.indptr)[flat].sum()
    bb = float((F8 + ib) * (bk + bk2) + 2 * F8 * (bk + bk2) + F8 * flat.size)
    yield Case("block_rows (block sketch-and-project)", "nlp", f"{size}, blocks of {kblk}",
               {"serial": _call(k.block_rows, K.indptr, K.indices, K.data, K2.indptr, K2.indices, K2.data, draws,
                                z, r, float(r @ r), -1.0)}, bb,
               note="as Kaczmarz, with k rows per step (a k x k Cholesky in between).")


def splitting(quick: bool):
    from optkit.kernels.splitting import _items
    from optkit.kernels.splitting import _jit as k

    n = 256 if quick else 2048
    rng = np.random.default_rng(11)
    # a piecewise-constant image (16 x 16 blocks) plus noise, as in TV denoising
    img = np.kron(rng.random((16, 16)), np.ones((n // 16, n // 16))) + 0.1 * rng.standard_normal((n, n))
    X = (img.reshape(-1), img.T.copy().reshape(-1))
    out = (np.empty(n * n), np.empty(n * n))
    lams = np.array([0.1, 0.1])
    items = _items((n, n), (1, 0), k.BLOCK)
    yield Case("tv_lines (TV prox, both axes)", "splitting", f"2 x {n}x{n} f64 ({8 * n * n / 2**20:.0f} MiB/array)",
               _runs(k, "tv_lines", lambda c: (X, out, lams, *items)), 4 * F8 * n * n,
               note="Condat's direct 1-D TV prox (weight 0.1) along rows and along columns (gathered in "
                    "blocks): reads each input once, writes each output once.")
    K = 3
    W, Xb, U = (rng.standard_normal((K, n * n)) for _ in range(3))
    z = rng.standard_normal(n * n)
    V, U2, W2, z2 = np.empty((K, n * n)), np.empty((K, n * n)), np.empty((K, n * n)), np.empty(n * n)
    yield Case("consensus (fused consensus ADMM update)", "splitting", f"{K} x {n * n} f64",
               _runs(k, "consensus", lambda c: (W, Xb, U, z, 1.0, 1.5, V, U2, W2, z2)), F8 * n * n * (6 * K + 2),
               note="reads W, X, U (K blocks each) and z; writes V, U, W and z (buffers given here; the "
                    "dispatcher allocates them).")


def composite(quick: bool):
    from optkit.kernels.composite import _jit as k

    m, n = (400, 2000) if quick else (2000, 2000)
    rng = np.random.default_rng(12)
    A = rng.standard_normal((m, n))
    size = f"{m}x{n} f64 ({8 * m * n / 2**20:.0f} MiB)"
    yield Case("column_sq_norms", "composite", size, {"serial": _call(k.column_sq_norms, A)}, F8 * m * n + F8 * n,
               note="one pass over A, the n column norms accumulated along each row.")
    ws = np.arange(0, n, 4, dtype=np.int64)
    none2, none1 = np.empty((0, m)), np.empty(0, np.int64)
    yield Case("gather_columns (a quarter of the columns)", "composite", size,
               {"serial": _call(k.gather_columns, A, ws, none2, none1)}, 2 * F8 * m * ws.size,
               note="reads the chosen entries of a C-ordered A (the bound counts 8 bytes each; each is on "
                    "its own 64-byte line, shared with its neighbours' unchosen entries) and writes them as rows.")
    C = np.ascontiguousarray(A.T[: n // 2])            # k = n/2 features as rows of length m
    norms2 = np.einsum("ij,ij->i", C, C)
    b = rng.standard_normal(m)
    x0 = np.zeros(C.shape[0])
    r0 = -b
    lam = 0.1 * float(np.abs(C @ b).max())

    def per_epoch() -> float:
        def one(epochs: int) -> float:
            t0 = time.perf_counter()
            k.lasso_cd(C, x0, r0, b, norms2, lam, 0.0, epochs, 10_000, False)
            return time.perf_counter() - t0
        return (one(12) - one(4)) / 8

    yield Case("lasso_cd (one coordinate-descent epoch)", "composite",
               f"{C.shape[0]} features x {m} ({8 * C.size / 2**20:.0f} MiB)", {"serial": per_epoch},
               F8 * C.size + 2 * F8 * m,
               note="per epoch (difference of 12- and 4-epoch runs, no acceleration): each feature's row "
                    "read once for its correlation with r and, when x_j changes, again for the residual "
                    "update (from cache); r read and written.")


def cases(quick: bool):
    """Every case, built lazily family by family (only one family's arrays are alive at a time)."""
    for family in (transport, rpca, tensor, shared, composite, stochastic, saddle, nlp, splitting):
        yield from family(quick)
