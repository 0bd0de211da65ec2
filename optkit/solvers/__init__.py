"""Solver classes, one subpackage per family. Importing this package registers every method."""
from .._families import export
from .base import Check, Options, Snapshot, Solver

__all__ = ["Solver", "Options", "Check", "Snapshot", *export(globals(), __name__)]
