"""Solvers for entropic optimal transport: Sinkhorn and Sinkhorn-Newton-Sparse."""
from .sinkhorn import Sinkhorn
from .sns import SinkhornNewtonSparse

__all__ = ["Sinkhorn", "SinkhornNewtonSparse"]
