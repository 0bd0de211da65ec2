"""Stochastic methods for finite sums: SdLBFGS and SdLBFGS-VR, and the SGD, SVRG and Adam baselines."""
from .first_order import SGD, Adam
from .sdlbfgs import SdLBFGS, SdLBFGSVR
from .svrg import SVRG

__all__ = ["SGD", "Adam", "SVRG", "SdLBFGS", "SdLBFGSVR"]
