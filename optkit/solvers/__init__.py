"""Solver classes. Importing this package registers every method."""
from . import alm, fista  # noqa: F401
from .alm import ALM, FastALM
from .base import Check, Options, Snapshot, Solver
from .fista import FISTA

__all__ = ["Solver", "Options", "Check", "Snapshot", "ALM", "FastALM", "FISTA"]
from . import tensor_adal  # noqa: F401,E402
from .tensor_adal import ADAL, NonconvexADAL  # noqa: E402

__all__ += ["ADAL", "NonconvexADAL"]
from . import tensor_apg  # noqa: F401,E402
from .tensor_apg import TensorAPG  # noqa: E402

__all__ += ["TensorAPG"]
