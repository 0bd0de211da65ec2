"""``python -m benchmarks._report``: rebuild ``benchmarks/results/README.md`` from the JSON files.

One section per family (``<family>.json``; the ``*_quick.json`` smoke runs are left out): the
machine's thread settings and package versions, then per instance every solver's time and
measure, and the ratio of its time to the fastest successful optkit row of that instance
(above 1: optkit is faster).
"""
from __future__ import annotations

import json
import sys

from ._harness import RESULTS

HEADER = """# Benchmark results

Written by `python -m benchmarks._report` from the JSON files next to it; each family's run is
`python -m benchmarks.<family>` (all: `make bench`). Times are wall seconds in one process after a
warm-up; `ratio` is the row's time over the fastest successful optkit row of the same instance
(above 1 means optkit is faster). A row with `success = False` did not reach the instance's accuracy.
How close the hot kernels run to the machine's bandwidth: `benchmarks/results/roofline.md`
(`python -m benchmarks.roofline`; on the documentation's benchmarks page below this one).
"""


def _section(payload: dict) -> list[str]:
    rows = payload["rows"]
    threads = payload.get("threads", {})
    versions = payload.get("versions", {})
    out = [f"## {payload['family']}", "",
           "versions: " + ", ".join(f"{k} {v}" for k, v in versions.items()),
           "threads: " + ", ".join(f"{k}={v}" for k, v in threads.items() if k != "blas"), "",
           "| instance | package | method | time (s) | iterations | measure | value | success | ratio |",
           "|---|---|---|---|---|---|---|---|---|"]
    for inst in dict.fromkeys(r["instance"] for r in rows):
        group = [r for r in rows if r["instance"] == inst]
        ours = [r["time_s"] for r in group if r["package"] == "optkit" and r["success"]]
        best = min(ours) if ours else None
        for r in group:
            ratio = f"{r['time_s'] / best:.2f}" if best else "-"
            nit = r["iterations"] if r["iterations"] is not None else "-"
            out.append(f"| {inst} | {r['package']} | {r['method']} | {r['time_s']:.3f} | {nit} | "
                       f"{r['measure_name']} | {r['measure']:.2e} | {r['success']} | {ratio} |")
    for suffix in ("", "_video", "_frames", "_averaging"):   # histories, video histories, frames, averaging
        image = RESULTS / f"{payload['family']}{suffix}.png"
        if image.exists():
            out += ["", f"![{image.stem}]({image.name})"]
    return out + [""]


def main(argv: list[str]) -> None:
    lines = [HEADER]
    for path in sorted(RESULTS.glob("*.json")):
        if path.stem.endswith("_quick") or path.stem == "roofline":   # roofline.md is its own table
            continue
        payload = json.loads(path.read_text())
        if not all("instance" in r for r in payload["rows"]):   # a grid of its own shape, tabled in the docs
            lines += [f"## {payload['family']}", "", payload.get("note", ""), "",
                      f"![{path.stem}]({path.stem}.png)" if path.with_suffix(".png").exists() else "", ""]
            continue
        lines += _section(payload)
    (RESULTS / "README.md").write_text("\n".join(lines))
    print(f"written: {RESULTS / 'README.md'}")


if __name__ == "__main__":
    main(sys.argv[1:])
