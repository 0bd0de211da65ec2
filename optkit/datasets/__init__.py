"""Data for examples, tests and benchmarks: real data shipped inside installed packages
(scikit-learn, scikit-image) and seeded generators, one module per family. Nothing is
downloaded at run time."""
from .._families import export

__all__ = export(globals(), __name__)
