"""Solvers for robust matrix recovery: Frank-Wolfe-proximal (FW-T, FW-P), iALM and APG."""
from .apg import PCPAPG
from .frank_wolfe import FWP, FWT
from .ialm import IALM

__all__ = ["FWT", "FWP", "IALM", "PCPAPG"]
