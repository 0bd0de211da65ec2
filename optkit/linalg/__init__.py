"""Linear algebra the families share: thin SVDs and their updates, partial SVDs, singular-value
thresholding and tensor matricizations, all written against the array API."""
from .lanczos import Triplet, top_singular_triplet
from .sketch import SketchSystem, sketch_solve, sketch_system
from .matricization import Matricization, fold, mode_unfoldings, square_matricization, unfold
from .subspace import orthonormalize, partial_svd, right_product
from .svt import deflated_gram_svd, gram_sigma_max, gram_threshold, nuclear_norm, partial_svt, partial_svt_route, svt
from .thin_svd import ThinSVD, dense, extend_basis, rank_one_update, reorthogonalize

__all__ = ["ThinSVD", "rank_one_update", "reorthogonalize", "extend_basis", "dense",
           "Triplet", "top_singular_triplet", "partial_svd", "orthonormalize", "right_product", "svt", "partial_svt", "partial_svt_route", "deflated_gram_svd", "gram_threshold", "gram_sigma_max",
           "nuclear_norm", "SketchSystem", "sketch_system", "sketch_solve", "Matricization", "mode_unfoldings",
           "square_matricization", "unfold", "fold"]
