"""Solvers for sums of two convex functions: alternating linearization (ALM, FALM), FISTA, and working
sets with gap-safe screening for the Lasso."""
from .alm import ALM, FastALM
from .fista import FISTA
from .working_set import WorkingSet

__all__ = ["ALM", "FastALM", "FISTA", "WorkingSet"]
