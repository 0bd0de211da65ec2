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

(To be filled.)
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
           "bandwidths move from run to run.", "",
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
    payload = {"family": "roofline", "header": header, "rows": [asdict(r) for r in rows], "notes": notes,
               "versions": versions(), "threads": threads()}
    (RESULTS / f"{stem}.json").write_text(json.dumps(payload, indent=1, default=float))
    (RESULTS / f"{stem}.md").write_text(markdown(rows, notes, header))
    print(f"written: {RESULTS / (stem + '.json')}, {RESULTS / (stem + '.md')}")


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
