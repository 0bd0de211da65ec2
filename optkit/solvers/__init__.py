"""Solver classes, one subpackage per family. Importing this package registers every method."""
from .._families import export
from .base import Ahead, Check, Options, Snapshot, Solver

__all__ = ["Solver", "Options", "Check", "Snapshot", "Ahead", *export(globals(), __name__)]
