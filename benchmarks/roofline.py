"""How close the hot kernels run to the machine: time per pass against a lower bound.

For each hot kernel of ``optkit/kernels`` (and the Gram-side SVT of ``optkit.linalg``) at a size
well past the caches (tens of MB moved per pass), the median time of one pass is compared with

- a **memory bound**: the bytes the pass must move (each input read once, each output written
  once; write-allocate traffic not counted, on either side) over the streaming bandwidth of a
  triad ``a = b + s*c`` measured in this process right before the kernel, with the same thread
  setting (serial build: the serial triad; threaded build with ``t`` threads: the threaded triad
  on ``t`` threads);
- where the pass evaluates an exponential per entry, an **exp bound**: that count over the rate
  of NumPy's vectorised ``np.exp`` on a cache-resident array, scaled by the thread count;
- for the BLAS-based SVT, a **FLOP bound**: the minimal flop count over the rate of a
  cache-friendly square ``matmul`` with the same number of BLAS threads.

The bound is the largest of those that apply (the column ``bound`` names it) and the ratio is
``time / bound`` (1 = at the machine's limit; the issue's goal is <= 3). Every kernel is run in
its serial build and, where it has one (``_jit._builds``), its threaded build with 1 and 2
threads; each measurement is the median of ``--repeat`` (>= 5) interleaved bandwidth/kernel
pairs. Results: ``benchmarks/results/roofline.json`` and ``roofline.md``.

Run: ``python -m benchmarks.roofline`` (``--quick``: small sizes, a smoke run only).
"""
from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import time
from dataclasses import asdict, dataclass, field
from typing import Any

import numba
import numpy as np

from ._harness import RESULTS, threads, versions
from ._roofline_cases import Case, cases

CONFIGS = ("serial", "threaded-1", "threaded-2")


@dataclass
class Measure:
    kernel: str
    family: str
    size: str
    config: str
    time_s: float
    bandwidth_GBs: float
    mem_bound_s: float
    exp_bound_s: float
    flop_bound_s: float
    bound: str
    ratio: float
    scalar_exp_ratio: float
    samples: list = field(default_factory=list)


# --- the machine: triad bandwidth, exp rate, gemm rate -------------------------------------------


def _triad(a, b, c, s):  # pragma: no cover  (compiled)
    for i in numba.prange(a.size):
        a[i] = b[i] + s * c[i]


@numba.njit(cache=True)
def _scalar_exp(x, out):  # pragma: no cover  (compiled)
    for i in range(x.size):
        out[i] = math.exp(x[i])


_triad_serial = numba.njit(cache=True)(_triad)
_triad_parallel = numba.njit(cache=True, parallel=True)(
    type(_triad)(_triad.__code__, _triad.__globals__, "_triad_threaded"))


class Machine:
    """Streaming bandwidth (triad), exp rate and gemm rate, measured on demand in this process."""

    def __init__(self, words: int):
        rng = np.random.default_rng(0)
        self.a = np.empty(words)
        self.b = rng.random(words)
        self.c = rng.random(words)
        self.e_in = rng.random(1 << 13) * 20 - 10
        self.e_out = np.empty_like(self.e_in)
        self.g = rng.random((1024, 1024))
        _triad_serial(self.a, self.b, self.c, 0.5)
        _triad_parallel(self.a, self.b, self.c, 0.5)
        _scalar_exp(self.e_in, self.e_out)

    def bandwidth(self, config: str) -> float:
        """Bytes per second of ``a = b + s*c`` (24 bytes per entry) in the build of ``config``."""
        fn = _triad_serial if config == "serial" else _triad_parallel
        best = float("inf")
        for _ in range(2):
            t0 = time.perf_counter()
            fn(self.a, self.b, self.c, 0.5)
            best = min(best, time.perf_counter() - t0)
        return 24.0 * self.a.size / best

    def exp_rate(self, nthreads: int) -> float:
        """Exponentials per second: NumPy's vectorised ``np.exp`` in cache, times ``nthreads``."""
        best = float("inf")
        for _ in range(3):
            t0 = time.perf_counter()
            for _ in range(50):
                np.exp(self.e_in, out=self.e_out)
            best = min(best, time.perf_counter() - t0)
        return nthreads * 50 * self.e_in.size / best

    def scalar_exp_rate(self, nthreads: int) -> float:
        """Exponentials per second of a compiled loop of ``math.exp`` (what a Numba kernel gets
        without a vector math library: one libm call per entry), times ``nthreads``."""
        best = float("inf")
        for _ in range(3):
            t0 = time.perf_counter()
            for _ in range(50):
                _scalar_exp(self.e_in, self.e_out)
            best = min(best, time.perf_counter() - t0)
        return nthreads * 50 * self.e_in.size / best

    def gemm_rate(self, nthreads: int) -> float:
        """Flops per second of a 1024^3 ``matmul`` with ``nthreads`` BLAS threads."""
        from threadpoolctl import threadpool_limits  # noqa: PLC0415

        with threadpool_limits(nthreads, user_api="blas"):
            best = float("inf")
            for _ in range(3):
                t0 = time.perf_counter()
                self.g @ self.g
                best = min(best, time.perf_counter() - t0)
        return 2.0 * self.g.shape[0] ** 3 / best


ANALYSIS = """## Where a kernel is above 3x, and why

Read the serial and `threaded-1` rows: on this loaded 2-core machine (load average 8-11 during
the run) the second Numba thread competes with other users' processes, so `threaded-2` mostly
measures the wait for a descheduled thread (the 2-thread triad, timed the same way, streams; the
kernels' barriers do not). Measured side by side in one process (median of 7, loaded):

Fixed here (each kernel's twin tests still pass):

- **l1_ball_threshold** (FW-T's l1-ball step, 33x before): Michelot's fixed point re-read all of
  `z` on every pass with a mispredicted branch. Each pass now runs over the previous pass's
  active set, compacted in place without a branch; the same entries are summed in the same order,
  so the threshold is bitwise the same. 4M entries: 153 ms before, 34 ms after (4.5x; in the
  full runs 33-35x the bound before, 16-17x after). What is left (16x the one-read bound, about 7x the 2.2 n entries it must visit): the
  strict-order float64 sum (a 4-cycle chain per entry; no fastmath, so no reassociation).
- **svt via the Gram side**: the product was applied through the assembled `n x n` matrix
  (`2 m n^2` flops) even when only `k << n` singular values are kept; it now goes through the
  `k` kept vectors when `2k < n` (`4 m n k`), as `Matricization.shrink` already did.
  20000 x 200, k = 20, 1 BLAS thread: 150 ms before, 100 ms after; 3.55x its flop bound before,
  2.56-2.65x after. What is
  left is BLAS efficiency, measured apart: NumPy already forms `X^T X` as a symmetric rank update
  (43 ms, against 90 ms for a general product of the same shape), but at about half the square
  `matmul` rate the bound assumes; `eigh` of the 200 x 200 Gram matrix takes 8-12 ms (its
  tridiagonal reduction runs at matrix-vector speed); the two rank-20 products are thin. With 2
  BLAS threads the loaded machine makes OpenBLAS's threads wait for each other (7-28x): not a
  property of the code.
- **ot_newton_cg** (the SNS Hessian product): the matvec and the transposed matvec now share one
  read of each row of the sparse plan (bitwise the same result). No change measured here
  (13.4 ms against 13.7 ms per product; 3.1x the bound before, 3.5-6.4x after in runs at
  different loads; the row in the table was rerun while a test suite also ran): the 31 MiB plan stays in this machine's 300 MiB L3
  between CG iterations, so the second read was already cheap; the fusion halves the DRAM traffic
  where the plan exceeds the last-level cache. What is left is the scattered column
  accumulation and the dependent row dot products (a 4-way split of the dot was tried: no gain).

Above 3x and not fixed (why):

- **Transport kernels with an exponential per entry** (`ot_softmin_rows`, `ot_gibbs`,
  `ot_gibbs_marginals` = the Sinkhorn / SNS sweep, `ot_gibbs_init`, `ot_gibbs_sparse`): bound by
  the exponential, not by memory. NumPy's `np.exp` is vectorised (its own SIMD loops); Numba
  here has no SVML (`numba -s`: SVML not operational, llvmlite not SVML-patched), so each
  `math.exp` is a scalar libm call, and the row sums (strict order, no fastmath) would keep the
  loops scalar anyway. The last column shows them at 1.1-2.4x the time of a bare Numba
  `math.exp` loop over the same count (`ot_gibbs` 3.1x: it also faults in its fresh output pages),
  i.e. near the scalar-exp limit. Closing the gap needs a vector exp (SVML with a
  patched llvmlite, or a hand-written polynomial exp whose accuracy must then be established) and
  reassociated sums: not a small change. `ot_gibbs` and `ot_gibbs_init` also allocate their
  output inside the kernel (fresh pages are part of the pass).
- **two_loop** (L-BFGS direction; 4.3-4.5x before): the bound reads S and Y once, but the
  recursion reads them twice (the second loop needs every alpha of the first), a floor of 2x while
  the memory does not fit in cache. Fixed in part: each sweep over `q` (3.2 MB, past L2) now does
  one update and the next step's dot product, 2p sweeps instead of 4p, bitwise the same serial
  result; p = 10, d = 4e5: 36 ms before, 25-30 ms after in one process (3.2-3.5x the
  bound after in the full runs). What is left above the 2x
  floor is the strict-order dot products (no fastmath).
- **csr_rows_matvec / csr_rows_rmatvec** (minibatch rows, 18-24x / 22-37x over the runs): latency, not bandwidth.
  Random rows of about 20 nonzeros (240 bytes) each start with a cache miss the prefetcher cannot
  hide; the same kernel on the same batch in sorted order ran 4x faster (19.9 ms against
  78.8 ms). Real minibatches (a few hundred rows of a large matrix) are scattered whatever their
  order, so sorting inside the kernel would not help them; left as is.
- **Saddle treeplex passes**: `treeplex_value` (2.9-3.8x) copies `c` to a float64 work vector and
  reads it back (3 vector passes where the bound counts 1); `cfr_plus` (6-8x) likewise copies the
  loss, initialises the behaviour vector, then rebuilds the sequence form in a second top-down pass
  and divides per sequence; `dilated_prox` (21-28x) evaluates a log and an exp per sequence (scalar
  libm, see the transport kernels: about 2x the scalar-exp bound). `project_columns` (8-9.5x): Michelot
  needs 9 passes over V on this instance (plus the mean pass and the output), where the bound
  counts one read and one write; a branch-free form of its accumulation was tried and was not
  faster (the per-column accumulators are not vectorised).
- **NLP sketches** (`kaczmarz` 5.4-6.7x, `block_rows` 11-11.6x, `gaussian` 4.3-4.9x): random rows of `K` and
  `K^2` touch `z` and `r` at scattered columns, each a 64-byte line where the bound counts 8 bytes;
  `block_rows` adds a `k x k` Cholesky per step; `gaussian` runs two dependent CSR products per
  sketch (counted) with strict-order dot products.

- **tv_lines** (the splitting family's TV prox, 26-32x): compute, not memory. Condat's direct
  algorithm is a sequential scan per line with data-dependent branches and backtracking, about
  15-20 cycles per entry on a quiet machine (the family measured 5 ns per entry) against the
  fraction of a nanosecond that 16 bytes per entry take to stream; the column axis also gathers
  its strided lines in blocks. The same time per entry (55-85 ns here, loaded) on a random walk, a
  blocky image plus noise and pure noise. A faster TV prox is another algorithm (e.g. a taut-string
  or dynamic-programming solver), not a fix to this loop. `consensus` (the fused ADMM update) is
  within 3x serially.

- **gather_columns** (composite, 7x): gathering every 4th column of a C-ordered matrix touches
  every 64-byte line of it (4x the bytes the bound counts for the reads); the kernel's own
  docstring says so, and its callers reuse an earlier gather to avoid it. `column_sq_norms` (1.9x)
  and a coordinate-descent epoch of `lasso_cd` (0.9x: the 16 MiB working-set matrix stays in L3
  between epochs) are within 3x; these three rows come from a run after the composite kernels
  landed on main.

Not in the table: `project_simplex` (a sort: its cost is the sort, not a pass). The shared
`soft_threshold` and `l1_ball_threshold` are the l1 prox kernels the families call; the TV prox is
the splitting family's `tv_lines`.

Within 3x (serial, ranges over the runs): the robust PCA passes (`fw_update` 1.3-1.6x,
`fw_quadratic` 1.3-1.8x, iALM's two passes 0.8-1.3x, `lowrank_residual` 0.9-1.3x), ADAL's fused
tensor step (1.3-1.7x), `soft_threshold`, `ot_scale_kernel`, `damped_pair`. Ratios just under 1 mean
that part of a pass's data was still in the 300 MiB L3 (the 384 MiB triad flushes it before each
pass, but not perfectly).
"""


# --- measuring -------------------------------------------------------------------------------------


def _nthreads(config: str) -> int:
    return 2 if config.endswith("-2") else 1


def measure(case: Case, config: str, machine: Machine, repeat: int) -> Measure:
    """Median over ``repeat`` of (bandwidth, pass) pairs, the bandwidth taken right before the pass."""
    t = _nthreads(config)
    numba.set_num_threads(t)
    run = case.run[config]
    if case.blas:
        from threadpoolctl import threadpool_limits  # noqa: PLC0415

        inner = run

        def run() -> float:
            with threadpool_limits(t, user_api="blas"):
                return inner()
    run()   # warm-up (compilation, first touch)
    bws, times = [], []
    for _ in range(repeat):
        bws.append(machine.bandwidth(config if not case.blas else ("serial" if t == 1 else "threaded-2")))
        times.append(run())
    bw = statistics.median(bws)
    tm = statistics.median(times)
    mem = case.nbytes / bw
    ex = case.nexp / machine.exp_rate(t) if case.nexp else 0.0
    fl = case.flops / machine.gemm_rate(t) if case.flops else 0.0
    bounds = {"memory": mem, "exp": ex, "flop": fl}
    kind = max(bounds, key=bounds.get)
    scalar = tm / (case.nexp / machine.scalar_exp_rate(t)) if case.nexp else float("nan")
    return Measure(case.name, case.family, case.size, config, tm, bw / 1e9, mem, ex, fl, kind,
                   tm / bounds[kind], scalar, [round(x, 6) for x in times])


def markdown(rows: list[Measure], notes: dict[str, str], header: dict[str, Any]) -> str:
    out = ["# Roofline: hot kernels against the machine", "",
           f"Written by `python -m benchmarks.roofline` on {header['date']} ({header['cpu']}). "
           "The machine was **shared and loaded** (2 cores, other engineers' jobs running): every figure "
           "is the median of repeated runs, each kernel pass timed right after a bandwidth measurement "
           "with the same thread setting, so the ratio compares like with like; the absolute times and "
           "bandwidths move from run to run."
           + (f" Rows of {', '.join(header['rerun'])} come from a later run than the rest." if header.get("rerun")
              else ""), "",
           "`ratio` = time per pass / bound; `bound` names the binding one (memory: bytes / measured triad "
           "bandwidth; exp: exponentials / vectorised np.exp rate; flop: minimal flops / gemm rate). "
           "The last column divides by the rate of Numba's own scalar `math.exp` loop instead (no SVML "
           "here: Numba cannot vectorise `exp` without it), for the kernels that evaluate exponentials. "
           "`serial` is the kernel's serial build, `threaded-t` its threaded build on t Numba threads "
           "(BLAS threads for the SVT).", "",
           "| family | kernel | size | build | time/pass (ms) | triad GB/s | memory bound (ms) | exp bound (ms) "
           "| flop bound (ms) | bound | ratio | time / scalar-exp bound |",
           "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        out.append(f"| {r.family} | {r.kernel} | {r.size} | {r.config} | {1e3 * r.time_s:.2f} | "
                   f"{r.bandwidth_GBs:.1f} | {1e3 * r.mem_bound_s:.2f} | "
                   f"{1e3 * r.exp_bound_s:.2f} | {1e3 * r.flop_bound_s:.2f} | {r.bound} | **{r.ratio:.2f}** | "
                   + ("-" if math.isnan(r.scalar_exp_ratio) else f"{r.scalar_exp_ratio:.2f}") + " |")
    out += ["", "## What each pass must move", ""]
    for name, text in notes.items():
        out.append(f"- **{name}**: {text}")
    return "\n".join(out) + "\n\n" + ANALYSIS


def main(argv: list[str]) -> None:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.roofline")
    ap.add_argument("--quick", action="store_true", help="small sizes (smoke run; not written as the result)")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--only", default="", help="comma-separated substrings of kernel names to run")
    ap.add_argument("--report", action="store_true", help="only rewrite roofline.md from roofline.json")
    args = ap.parse_args(argv)
    if args.report:
        payload = json.loads((RESULTS / "roofline.json").read_text())
        rows = [Measure(**r) for r in payload["rows"]]
        (RESULTS / "roofline.md").write_text(markdown(rows, payload["notes"], payload["header"]))
        return
    repeat = max(args.repeat, 5) if not args.quick else max(args.repeat, 3)
    machine = Machine(1 << 19 if args.quick else 1 << 24)
    chosen = [s for s in args.only.split(",") if s]
    rows: list[Measure] = []
    notes: dict[str, str] = {}
    for case in cases(args.quick):
        if chosen and not any(s in case.name for s in chosen):
            continue
        notes[case.name] = case.note
        for config in CONFIGS:
            if config not in case.run:
                continue
            r = measure(case, config, machine, repeat)
            rows.append(r)
            print(f"{r.family:10s} {r.kernel:28s} {r.config:11s} {1e3 * r.time_s:9.2f} ms  "
                  f"bw {r.bandwidth_GBs:5.1f} GB/s  bound {r.bound:6s} {1e3 * max(r.mem_bound_s, r.exp_bound_s, r.flop_bound_s):8.2f} ms"
                  f"  ratio {r.ratio:6.2f}", flush=True)
        del case
    numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)
    header = {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "cpu": _cpu(),
              "load_average": os.getloadavg(), "repeat": repeat}
    stem = "roofline_quick" if args.quick else "roofline"
    RESULTS.mkdir(parents=True, exist_ok=True)
    if chosen and (RESULTS / f"{stem}.json").exists():   # rerun of some kernels: merged into the table
        earlier = json.loads((RESULTS / f"{stem}.json").read_text())
        header["rerun"] = sorted(set(earlier["header"].get("rerun", [])) | {r.kernel for r in rows})
        rows, notes = _merge(earlier, rows, notes)
    payload = {"family": "roofline", "header": header, "rows": [asdict(r) for r in rows], "notes": notes,
               "versions": versions(), "threads": threads()}
    (RESULTS / f"{stem}.json").write_text(json.dumps(payload, indent=1, default=float))
    (RESULTS / f"{stem}.md").write_text(markdown(rows, notes, header))
    print(f"written: {RESULTS / (stem + '.json')}, {RESULTS / (stem + '.md')}")


def _merge(payload: dict, rows: list[Measure], notes: dict[str, str]) -> tuple[list[Measure], dict[str, str]]:
    """The earlier table with the rows of the kernels just rerun replaced, in the earlier order."""
    fresh = {r.kernel for r in rows}
    out: list[Measure] = []
    for r in payload["rows"]:
        if r["kernel"] not in fresh:
            out.append(Measure(**r))
        elif not any(m.kernel == r["kernel"] for m in out):
            out += [m for m in rows if m.kernel == r["kernel"]]
    out += [m for m in rows if m not in out]
    return out, {**payload["notes"], **notes}


def _cpu() -> str:
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return f"{line.split(':', 1)[1].strip()}, {os.cpu_count()} cores"
    except OSError:
        pass
    return f"{os.cpu_count()} cores"


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
