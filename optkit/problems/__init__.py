"""Problem families. Each problem owns its data, validates it, and knows its CVXPY reference."""
from .base import Problem
from .composite import Composite, Lasso, SparseInverseCovariance

__all__ = ["Problem", "Composite", "Lasso", "SparseInverseCovariance"]
from .lowrank import CompressivePCP, ConstrainedCPCP, LowRankSparse, RobustPCA  # noqa: E402

__all__ += ["RobustPCA", "CompressivePCP", "ConstrainedCPCP", "LowRankSparse"]

from .transport import EntropicOT  # noqa: E402

__all__ += ["EntropicOT"]
