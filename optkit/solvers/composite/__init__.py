"""Solvers for sums of two convex functions: alternating linearization (ALM, FALM), FISTA, and working
sets with gap-safe screening for the Lasso, exact block screening for sparse inverse covariance."""
from .alm import ALM, FastALM
from .blocks import BlockScreening
from .fista import FISTA
from .working_set import WorkingSet

__all__ = ["ALM", "BlockScreening", "FastALM", "FISTA", "WorkingSet"]
