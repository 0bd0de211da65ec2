"""Saddle-point methods with increasing iterate averaging: PDHG, mirror prox, CFR+ and
proportional response."""
from .cfr_plus import CFRPlus
from .mirror_prox import MirrorProx
from .pdhg import PDHG
from .proportional_response import ProportionalResponse

__all__ = ["PDHG", "MirrorProx", "CFRPlus", "ProportionalResponse"]
