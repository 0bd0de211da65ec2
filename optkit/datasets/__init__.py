"""Data for examples, tests and benchmarks: real data shipped inside installed packages
(scikit-learn, scikit-image) and seeded generators. Nothing is downloaded at run time."""
from .lowrank import lowrank_sparse_instance
from .synthetic import lasso_instance, sics_instance
from .tensor import PlantedTensor, load_indian_pines, planted_tucker
from .transport import digit_image, digits_pair, uniform_clouds
from .video import Video, f_measure, surveillance_video

__all__ = ["lasso_instance", "sics_instance",
           "lowrank_sparse_instance", "surveillance_video", "Video", "f_measure",
           "PlantedTensor", "planted_tucker", "load_indian_pines",
           "uniform_clouds", "digits_pair", "digit_image"]
