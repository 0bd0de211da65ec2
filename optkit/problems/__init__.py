"""Problem families. Each problem owns its data, validates it, and knows its CVXPY reference."""
from .base import Problem
from .composite import Composite, Lasso, SparseInverseCovariance
from .lowrank import CompressivePCP, ConstrainedCPCP, LowRankSparse, RobustPCA
from .tensor import MixtureSplit, RobustTensorRecovery, TensorSplit
from .transport import EntropicOT

__all__ = ["Problem", "Composite", "Lasso", "SparseInverseCovariance",
           "RobustPCA", "CompressivePCP", "ConstrainedCPCP", "LowRankSparse",
           "RobustTensorRecovery", "TensorSplit", "MixtureSplit",
           "EntropicOT"]
