"""Solvers for robust tensor recovery: ADAL (convex and nonconvex) and APG."""
from .adal import ADAL, NonconvexADAL
from .apg import TensorAPG

__all__ = ["ADAL", "NonconvexADAL", "TensorAPG"]
