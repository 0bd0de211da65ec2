"""Convex building blocks with value, gradient and/or prox, and their CVXPY forms."""
from .base import Function
from .envelope import MoreauEnvelope
from .nonsmooth import Box, L1Ball, L1Norm, OffDiagL1, Simplex
from .nuclear import NuclearNorm
from .smooth import LogDetTrace, SquaredLoss, spectral_norm_sq
from .total_variation import TotalVariation
from .transformed import OperatorSquaredLoss, TransformedL1

__all__ = ["Function", "SquaredLoss", "LogDetTrace", "L1Norm", "OffDiagL1", "Box", "Simplex", "L1Ball",
           "spectral_norm_sq", "NuclearNorm", "MoreauEnvelope", "TotalVariation", "TransformedL1",
           "OperatorSquaredLoss"]
