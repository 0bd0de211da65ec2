"""Solvers for sums of K convex functions: multiple splitting (MSA, FaMSA) and consensus ADMM."""
from .admm import ADMM
from .msa import MSA, FaMSA

__all__ = ["MSA", "FaMSA", "ADMM"]
