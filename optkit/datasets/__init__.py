"""Data for examples, tests and benchmarks: real data shipped inside installed packages
(scikit-learn, scikit-image) and seeded generators. Nothing is downloaded at run time."""
from .synthetic import lasso_instance, sics_instance

__all__ = ["lasso_instance", "sics_instance"]
from .video import Video, f_measure, surveillance_video  # noqa: E402

__all__ += ["surveillance_video", "Video", "f_measure"]
from .lowrank import lowrank_sparse_instance  # noqa: E402

__all__ += ["lowrank_sparse_instance"]

from .transport import digit_image, digits_pair, uniform_clouds  # noqa: E402

__all__ += ["uniform_clouds", "digits_pair", "digit_image"]
