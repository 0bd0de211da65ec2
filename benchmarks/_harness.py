"""Shared benchmark plumbing: timing in one process, rows, JSON, ratio tables and plots."""
from __future__ import annotations

import json
import os
import platform
import time
from dataclasses import asdict, dataclass
from importlib import metadata
from pathlib import Path
from typing import Any, Callable

RESULTS = Path(__file__).resolve().parent / "results"
PACKAGES = ("optkit", "numpy", "scipy", "numba", "cvxpy", "scs", "clarabel", "scikit-learn", "pot", "regot",
            "tensorly", "scikit-image", "skglm")


@dataclass
class Row:
    instance: str
    method: str
    package: str
    time_s: float
    iterations: int | None
    objective: float
    measure_name: str
    measure: float
    success: bool

    @property
    def key(self) -> str:
        return f"{self.package}:{self.method}"


def timed(fn: Callable[[], Any], repeat: int = 1) -> tuple[Any, float]:
    """Best-of-``repeat`` wall time of ``fn()`` and its last return value."""
    best, out = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - start)
    return out, best


def versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            pass
    return out


def threads() -> dict[str, Any]:
    info: dict[str, Any] = {"cpu_count": os.cpu_count()}
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
        info[var] = os.environ.get(var)
    try:
        from threadpoolctl import threadpool_info  # noqa: PLC0415

        info["blas"] = [{k: d.get(k) for k in ("internal_api", "num_threads")} for d in threadpool_info()]
    except ImportError:
        pass
    return info


def write(family: str, rows: list[Row], extra: dict[str, Any] | None = None) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{family}.json"
    payload = {"family": family, "rows": [asdict(r) for r in rows], "versions": versions(), "threads": threads()}
    if extra:
        payload.update(extra)
    path.write_text(json.dumps(payload, indent=1, default=float))
    return path


def ratio_table(rows: list[Row], optkit_method: str) -> str:
    """Markdown table: per instance, each row's time and the ratio (its time / optkit's time)."""
    lines = ["| instance | solver | time (s) | iterations | " + (rows[0].measure_name if rows else "measure")
             + " | success | time / optkit " + optkit_method + " |", "|---|---|---|---|---|---|---|"]
    for inst in dict.fromkeys(r.instance for r in rows):
        group = [r for r in rows if r.instance == inst]
        ref = next((r for r in group if r.package == "optkit" and r.method == optkit_method), None)
        for r in group:
            ratio = r.time_s / ref.time_s if ref and ref.time_s > 0 else float("nan")
            lines.append(f"| {inst} | {r.key} | {r.time_s:.3f} | {r.iterations if r.iterations is not None else '-'} "
                         f"| {r.measure:.2e} | {r.success} | {ratio:.1f} |")
    return "\n".join(lines)


def plot_histories(family: str, curves: dict[str, dict[str, tuple[list[float], list[float]]]],
                   ylabel: str, xlabel: str = "time (s, log scale)", logx: bool = True,
                   hline: float | None = None) -> Path | None:
    """One panel per instance: measure against time (or, with ``logx=False``, iterations) for each solver,
    log scale; ``hline`` draws the target."""
    try:
        import matplotlib  # noqa: PLC0415

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt  # noqa: PLC0415
    except ImportError:
        return None
    cols = min(2, len(curves))
    rows = -(-len(curves) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(6 * cols, 4 * rows), squeeze=False)
    for ax in axes.flat[len(curves):]:
        ax.set_visible(False)
    for ax, (inst, series) in zip(axes.flat, curves.items()):
        for name, (t, y) in series.items():
            xs = [max(v, 1e-4) for v in t] if logx else list(t)
            (ax.loglog if logx else ax.semilogy)(xs, [max(v, 1e-16) for v in y], marker=".", label=name)
        if hline is not None:
            ax.axhline(hline, color="grey", lw=0.5, ls="--")
        ax.set_title(inst)
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8)
    return save_figure(fig, family)


def save_figure(fig: Any, family: str) -> Path:
    """Lay out ``fig``, write it to ``results/<family>.png`` and close it."""
    import matplotlib.pyplot as plt  # noqa: PLC0415

    fig.tight_layout()
    path = RESULTS / f"{family}.png"
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
