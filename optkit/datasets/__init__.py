"""Data for examples, tests and benchmarks: real data shipped inside installed packages
(scikit-learn, scikit-image) and seeded generators. Nothing is downloaded at run time."""
from .synthetic import lasso_instance, sics_instance

__all__ = ["lasso_instance", "sics_instance"]
from .tensor import PlantedTensor, load_indian_pines, planted_tucker  # noqa: E402

__all__ += ["PlantedTensor", "planted_tucker", "load_indian_pines"]
