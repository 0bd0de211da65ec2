"""Solvers for sums of two convex functions: alternating linearization (ALM, FALM) and FISTA."""
from .alm import ALM, FastALM
from .fista import FISTA

__all__ = ["ALM", "FastALM", "FISTA"]
