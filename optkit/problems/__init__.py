"""Problem families. Each problem owns its data, validates it, computes its own optimality
certificate and, when convex, knows its CVXPY reference. One module per family."""
from .._families import export
from .base import Problem

__all__ = ["Problem", *export(globals(), __name__)]
