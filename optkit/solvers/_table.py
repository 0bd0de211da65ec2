"""The verbose iteration table of the run loop, OSQP/SCS style: bounded, whatever the run's length."""
from __future__ import annotations

from typing import Any

__all__ = ["Table"]


class Table:
    """Rows at the first ten checks, then at iterations spaced by a factor of about 1.3.

    A run of ``n`` iterations prints ``O(10 + log n / log 1.3)`` rows (about 50 for a
    million iterations) and a footer with the final status.
    """

    def __init__(self, method: str, measure_names: list[str], max_iter: int, check_every: int) -> None:
        self.names = measure_names
        self.rows = 0
        self.next_nit = 0
        cols = ["iter", "objective", "optimality", *measure_names, "time (s)"]
        self.header = " ".join(f"{c:>12}" for c in cols)
        print(f"optkit: {method} (max_iter={max_iter}, check_every={check_every})")
        print(self.header)
        print("-" * len(self.header))

    def row(self, nit: int, elapsed: float, check: Any) -> None:
        if self.rows >= 10 and nit < self.next_nit:
            return
        self.rows += 1
        self.next_nit = max(nit + 1, int(1.3 * nit))
        print(self._format(nit, elapsed, check))

    def _format(self, nit: int, elapsed: float, check: Any) -> str:
        vals = [f"{nit:>12d}", f"{check.fun:>12.5e}", f"{check.optimality:>12.3e}"]
        vals += [f"{check.measures.get(n, float('nan')):>12.3e}" for n in self.names]
        vals.append(f"{elapsed:>12.3f}")
        return " ".join(vals)

    def footer(self, nit: int, elapsed: float, status: Any, final: Any) -> None:
        print("-" * len(self.header))
        print(self._format(nit, elapsed, final))
        print(f"status: {status.name} after {nit} iterations, {elapsed:.3f} s: {status.message}")
