"""Solver classes. Importing this package registers every method."""
from .alm import ALM, FastALM
from .base import Check, Options, Snapshot, Solver
from .fista import FISTA
from .frank_wolfe import FWP, FWT
from .rpca_baselines import APG, IALM
from .sinkhorn import Sinkhorn
from .sns import SinkhornNewtonSparse
from .tensor_adal import ADAL, NonconvexADAL
from .tensor_apg import TensorAPG

__all__ = ["Solver", "Options", "Check", "Snapshot",
           "ALM", "FastALM", "FISTA",
           "FWT", "FWP", "IALM", "APG",
           "Sinkhorn", "SinkhornNewtonSparse",
           "ADAL", "NonconvexADAL", "TensorAPG"]
