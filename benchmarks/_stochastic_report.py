"""Plots and markdown tables of the stochastic benchmark (``benchmarks/stochastic.py``)."""
from __future__ import annotations

import math
import warnings

import numpy as np

__all__ = ["plot", "tables", "fmt"]


def plot(results: dict, path, target_subopt: float, target_grad: float) -> None:
    try:
        import matplotlib  # noqa: PLC0415

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt  # noqa: PLC0415
    except ImportError:
        return
    conv = {k: v for k, v in results.get("convex", {}).items()}
    nonc = {k: v for k, v in results.get("nonconvex", {}).items()}
    panels = [(k, "convex") for k in conv] + [(k, "sfo") for k in nonc] + [(k, "time") for k in nonc] \
        + [(k, "acc") for k in nonc]
    cols = 4
    rows_ = -(-len(panels) // cols)
    fig, axes = plt.subplots(rows_, cols, figsize=(4.2 * cols, 3.3 * rows_), squeeze=False)
    for ax in axes.flat[len(panels):]:
        ax.set_visible(False)
    for ax, (name, kind) in zip(axes.flat, panels):
        if kind == "convex":
            for method, r in conv[name]["methods"].items():
                c = r["best"]["history"]
                ax.semilogy(c["time"], np.maximum(c["subopt"], 1e-12), marker=".", label=method)
            ax.axhline(target_subopt, color="k", lw=0.5)
            for key, p in conv[name]["peers"].items():
                if math.isfinite(p["time_s"]):
                    ax.plot([p["time_s"]], [max(p["subopt"], 1e-12)], "x", label=key)
            ax.set(title=name, xlabel="time (s)", ylabel="(F - F*) / |F*|")
        else:
            for method, r in nonc[name]["methods"].items():
                xkey = {"sfo": "sfo", "time": "time", "acc": "sfo"}[kind]
                ykey = "accuracy" if kind == "acc" else "optimality"
                _band(ax, [run[xkey] for run in r["runs"]], [run[ykey] for run in r["runs"]], method,
                      log=kind != "acc")
            if kind != "acc":
                ax.axhline(target_grad, color="k", lw=0.5)
                ax.set_ylim(top=min(ax.get_ylim()[1], 10.0))   # a diverged run would flatten the others
            ax.set(title=name, xlabel={"sfo": "SFO calls / n", "time": "time (s)", "acc": "SFO calls / n"}[kind],
                   ylabel="test accuracy" if kind == "acc" else "||grad F|| / ||grad F(x0)||")
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=6)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def _band(ax, xs, ys, label, log: bool) -> None:
    """Mean and min-max band over seeds, on a common grid of the x-axis."""
    xs = [np.asarray(x, dtype=float) for x in xs if len(x)]
    ys = [np.asarray(y, dtype=float) for y in ys if len(y)]
    if not xs:
        return
    grid = np.linspace(0.0, max(x[-1] for x in xs), 60)
    vals = np.array([np.interp(grid, x[:len(y)], np.log10(np.maximum(y, 1e-16)) if log else y,
                               right=np.nan) for x, y in zip(xs, ys)])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mean, lo, hi = np.nanmean(vals, 0), np.nanmin(vals, 0), np.nanmax(vals, 0)
    f = (lambda v: 10 ** v) if log else (lambda v: v)
    (line,) = ax.plot(grid, f(mean), label=label)
    ax.fill_between(grid, f(lo), f(hi), color=line.get_color(), alpha=0.2)
    if log:
        ax.set_yscale("log")


def tables(results: dict) -> str:
    """Markdown tables of a run: the convex times and epochs to the target, the nonconvex SFO calls and times."""
    out = []
    conv = results.get("convex", {})
    if conv:
        out += ["| instance | solver | time (s) | epochs / iterations | SFO / n | rel. subopt | setting |",
                "|---|---|---|---|---|---|---|"]
        for name, r in conv.items():
            n = r.get("n", 1)
            for method, m in r["methods"].items():
                b = m["best"]
                out.append(f"| {name} | optkit {method} | {b['time_s']:.3f} | {b['epochs']:.1f} | {b['sfo'] / n:.1f} | "
                           f"{b['subopt']:.1e} | {fmt(b['setting'])} |")
            for key, p in r["peers"].items():
                out.append(f"| {name} | {key} | {p['time_s']:.3f} | {p['iterations']} | | {p['subopt']:.1e} | |")
        out.append("")
    nonc = results.get("nonconvex", {})
    if nonc:
        out += ["| instance | method | reached (of 5) | SFO / n to 1e-3 (median) | time to 1e-3 (median, s) | "
                "test accuracy | setting |", "|---|---|---|---|---|---|---|"]
        for name, r in nonc.items():
            for method, m in r["methods"].items():
                out.append(f"| {name} | {method} | {m['reached']} | {m['sfo_median']:.1f} | {m['time_median']:.2f} | "
                           f"{m['accuracy_final']:.3f} | {fmt(m['best'])} |")
    return "\n".join(out)


def fmt(setting: dict) -> str:
    return ", ".join(f"{k}={v:.3g}" if isinstance(v, float) else f"{k}={v}" for k, v in setting.items())
