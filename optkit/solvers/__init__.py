"""Solver classes. Importing this package registers every method."""
from . import alm, fista  # noqa: F401
from .alm import ALM, FastALM
from .base import Check, Options, Snapshot, Solver
from .fista import FISTA

__all__ = ["Solver", "Options", "Check", "Snapshot", "ALM", "FastALM", "FISTA"]
from . import frank_wolfe  # noqa: E402,F401
from .frank_wolfe import FWP, FWT  # noqa: E402

__all__ += ["FWT", "FWP"]
from . import rpca_baselines  # noqa: E402,F401
from .rpca_baselines import APG, IALM  # noqa: E402

__all__ += ["IALM", "APG"]

from . import sinkhorn, sns  # noqa: F401,E402  (entropic optimal transport)
from .sinkhorn import Sinkhorn  # noqa: E402
from .sns import SinkhornNewtonSparse  # noqa: E402

__all__ += ["Sinkhorn", "SinkhornNewtonSparse"]
