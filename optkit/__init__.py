"""optkit: structured optimization solvers behind one scipy-style entry point.

>>> import optkit
>>> result = optkit.solve(problem, method="fast_alm", tol=1e-8)   # doctest: +SKIP
"""
from . import backend, functions, kernels, operators, problems, solvers
from ._compare import Comparison, compare
from ._registry import register
from ._result import Result, Status
from ._solve import methods, show_options, solve
from .validate import validate

__all__ = [
    "solve", "Result", "Status", "methods", "show_options", "validate", "compare", "Comparison", "register",
    "problems", "solvers", "functions", "kernels", "backend", "operators",
]
__version__ = "0.1.0"
