"""Solvers for equality-constrained nonlinear programs: AdaSketch-Newton (``exact_al``) and the
exact-solve reference ``sqp``, sharing the exact augmented Lagrangian merit."""
from .exact_al import ExactAL
from .sqp import SQP

__all__ = ["ExactAL", "SQP"]
