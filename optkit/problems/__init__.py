"""Problem families. Each problem owns its data, validates it, and knows its CVXPY reference."""
from .base import Problem
from .composite import Composite, Lasso, SparseInverseCovariance

__all__ = ["Problem", "Composite", "Lasso", "SparseInverseCovariance"]
from .tensor import LowRankSparse, MixtureSplit, RobustTensorRecovery

__all__ += ["RobustTensorRecovery", "LowRankSparse", "MixtureSplit"]
