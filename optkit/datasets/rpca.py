"""Data for robust matrix recovery: seeded low-rank plus sparse instances, and a synthetic
surveillance video built from a real still image shipped with scikit-image.

The video's background is scikit-image's ``camera`` photograph (512 x 512, public
domain), resized to the 144 x 176 frame of the I2R "Hall" sequence used by
the robust-PCA literature, under a slowly varying global illumination, so
that the background matrix has rank one. Textured objects cut from
scikit-image's ``coins`` photograph move across it on straight paths,
bouncing off the borders; their pixels are the known foreground. Optional
Gaussian noise and missing pixels (a Bernoulli mask) complete the model of
Mu, Zhang, Wright & Goldfarb's video experiments
(:math:`M = L_0 + S_0 + N_0` observed on :math:`\\Omega`).
"""
from __future__ import annotations

import math
from typing import Any, NamedTuple

import numpy as np

__all__ = ["lowrank_sparse_instance", "Video", "surveillance_video", "f_measure"]


def lowrank_sparse_instance(m: int, n: int, *, rank: int = 2, density: float = 0.08, magnitude: float = 5.0,
                            noise: float = 0.0, observed: float = 1.0,
                            seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray, Any]:
    """``(M, L0, S0, mask)`` with :math:`M = L_0 + S_0 + \\text{noise}`.

    ``L0`` is a product of two Gaussian factors of inner size ``rank``; ``S0``
    has about ``density * m * n`` entries of size ``magnitude`` (Gaussian); ``mask``
    is a Bernoulli(``observed``) sample of the entries, or ``None`` when
    ``observed == 1``.

    Parameters
    ----------
    m, n : int
        Shape of the matrices.
    rank : int
        Rank of ``L0``.
    density : float
        Probability of each entry of ``S0`` being nonzero.
    magnitude : float
        Standard deviation of the nonzero entries of ``S0``.
    noise : float
        Standard deviation of the dense Gaussian noise added to ``M``.
    observed : float
        Probability of each entry being observed, in (0, 1].
    seed : int
        Seed of ``numpy.random.default_rng``.

    Returns
    -------
    M : numpy.ndarray, shape (m, n)
        The data.
    L0 : numpy.ndarray, shape (m, n)
        The planted low-rank part.
    S0 : numpy.ndarray, shape (m, n)
        The planted sparse part.
    mask : numpy.ndarray of bool, shape (m, n), or None
        The observed entries (``None`` when all are).

    Examples
    --------
    >>> import numpy as np
    >>> from optkit.datasets import lowrank_sparse_instance
    >>> M, L0, S0, mask = lowrank_sparse_instance(30, 20, rank=3, observed=0.9, seed=1)
    >>> int(np.linalg.matrix_rank(L0)), M.shape, mask.dtype
    (3, (30, 20), dtype('bool'))
    """
    if not (0.0 < observed <= 1.0):
        raise ValueError(f"observed must lie in (0, 1], got {observed!r}")
    rng = np.random.default_rng(seed)
    L0 = rng.standard_normal((m, rank)) @ rng.standard_normal((rank, n))
    S0 = np.where(rng.random((m, n)) < density, magnitude * rng.standard_normal((m, n)), 0.0)
    M = L0 + S0 + noise * rng.standard_normal((m, n))
    mask = None if observed == 1.0 else rng.random((m, n)) < observed
    return M, L0, S0, mask


class Video(NamedTuple):
    """A video as a pixels x frames matrix with its known decomposition.

    Attributes
    ----------
    M : numpy.ndarray, shape (height * width, frames)
        Observed frames, one per column (values in [0, 1] plus noise).
    background : numpy.ndarray, shape (height * width,)
        The still background; the low-rank part is
        :math:`L_0 = \\text{background}\\;\\text{illumination}^T` (rank one).
    illumination : numpy.ndarray, shape (frames,)
    foreground : numpy.ndarray of bool, shape (height * width, frames)
        Pixels covered by a moving object (the support of :math:`S_0`).
    observed : numpy.ndarray of bool or None
        The sampling mask :math:`\\Omega` (``None``: every pixel observed).
    frame_shape : tuple of int
        ``(height, width)``; ``M[:, t].reshape(frame_shape)`` is frame ``t``.

    Examples
    --------
    >>> from optkit.datasets import surveillance_video
    >>> video = surveillance_video(8, height=24, width=30, object_size=(6, 4))
    >>> video.M.shape, video.frame_shape, video.relative_error_L(video.low_rank())
    ((720, 8), (24, 30), 0.0)
    """

    M: Any
    background: Any
    illumination: Any
    foreground: Any
    observed: Any
    frame_shape: tuple

    def low_rank(self) -> np.ndarray:
        """The dense background matrix :math:`L_0` (``pixels x frames``)."""
        return np.outer(self.background, self.illumination).astype(self.M.dtype)

    def sparse(self) -> np.ndarray:
        """The dense foreground matrix :math:`S_0 = M - L_0` on the foreground, 0 elsewhere
        (noise-free where ``noise = 0``)."""
        return np.where(self.foreground, self.M - self.low_rank(), 0.0).astype(self.M.dtype)

    def relative_error_L(self, L: Any) -> float:
        """:math:`\\|L - L_0\\|_F / \\|L_0\\|_F` without forming :math:`L_0`."""
        L = np.asarray(L, dtype=float)
        b, c = self.background.astype(float), self.illumination.astype(float)
        sq = float(np.sum(L * L)) - 2.0 * float(b @ (L @ c)) + float(b @ b) * float(c @ c)
        return math.sqrt(max(sq, 0.0)) / (float(np.linalg.norm(b)) * float(np.linalg.norm(c)))


def _resize(img: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    from skimage.transform import resize  # noqa: PLC0415

    return resize(img.astype(float), shape, anti_aliasing=True, mode="reflect")


def surveillance_video(frames: int = 200, *, height: int = 144, width: int = 176, n_objects: int = 4,
                       object_size: tuple[int, int] = (28, 20), noise: float = 0.0, missing: float = 0.0,
                       seed: int = 0, dtype: Any = np.float64) -> Video:
    """A background-plus-moving-objects video with a known foreground.

    Parameters
    ----------
    frames : int
        Number of frames (columns of ``M``).
    height, width : int
        Frame size (default: 144 x 176, the Hall sequence, 25344 pixels).
    n_objects : int
        Moving objects; each is an elliptical patch of the ``coins`` image with its own
        speed and direction.
    object_size : tuple of int
        ``(rows, columns)`` of each object, in pixels.
    noise : float
        Standard deviation of Gaussian noise added to every pixel.
    missing : float
        Fraction of pixels not observed (``observed`` is then a Bernoulli mask
        with probability ``1 - missing``; the unobserved entries of ``M`` are NaN).
    seed : int
        Seed of ``numpy.random.default_rng`` (objects, paths, noise, mask).
    dtype : numpy dtype
        Floating dtype of ``M``, ``background`` and ``illumination``.

    Returns
    -------
    Video
        The frames and their known decomposition.

    Examples
    --------
    Separating a short, small video with robust PCA:

    >>> import optkit
    >>> from optkit.datasets import f_measure, surveillance_video
    >>> from optkit.problems import RobustPCA
    >>> video = surveillance_video(12, height=24, width=30, n_objects=1, object_size=(6, 4))
    >>> res = optkit.solve(RobustPCA(video.M), tol=1e-6)
    >>> bool(video.relative_error_L(res.x.L) < 0.05), bool(f_measure(res.x.S, video.foreground) > 0.8)
    (True, True)
    """
    from skimage import data  # noqa: PLC0415  (a dependency of the datasets extra)

    for name, value in (("frames", frames), ("height", height), ("width", width)):
        if not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be a positive integer, got {value!r}")
    if not isinstance(n_objects, int) or n_objects < 0:
        raise ValueError(f"n_objects must be a nonnegative integer, got {n_objects!r}")
    oh, ow = object_size
    if not (1 <= oh <= height and 1 <= ow <= width):
        raise ValueError(f"object_size must fit in the frame {(height, width)}, got {object_size!r}")
    if not (0.0 <= missing < 1.0):
        raise ValueError(f"missing must lie in [0, 1), got {missing!r}")
    if not (noise >= 0.0 and math.isfinite(noise)):
        raise ValueError(f"noise must be nonnegative and finite, got {noise!r}")
    rng = np.random.default_rng(seed)
    bg = _resize(data.camera() / 255.0, (height, width))
    t = np.arange(frames)
    illumination = 1.0 + 0.1 * np.sin(2 * np.pi * t / max(frames, 50))
    video = bg[:, :, None] * illumination[None, None, :]           # (h, w, frames)
    fg = np.zeros((height, width, frames), dtype=bool)
    coins = data.coins() / 255.0
    yy, xx = np.mgrid[:oh, :ow]
    ellipse = ((yy - (oh - 1) / 2) / (oh / 2)) ** 2 + ((xx - (ow - 1) / 2) / (ow / 2)) ** 2 <= 1.0
    for _ in range(n_objects):
        r0 = rng.integers(0, coins.shape[0] - oh)
        c0 = rng.integers(0, coins.shape[1] - ow)
        patch = coins[r0:r0 + oh, c0:c0 + ow]
        # a contrast flip keeps every object distinguishable from the background
        patch = 1.0 - patch if rng.random() < 0.5 else patch
        pos = np.array([rng.uniform(0, height - oh), rng.uniform(0, width - ow)])
        speed = rng.uniform(0.6, 2.0)
        angle = rng.uniform(0, 2 * np.pi)
        vel = speed * np.array([math.sin(angle), math.cos(angle)])
        for k in range(frames):
            r, c = int(round(pos[0])), int(round(pos[1]))
            view = video[r:r + oh, c:c + ow, k]
            view[ellipse] = patch[ellipse]
            fg[r:r + oh, c:c + ow, k] |= ellipse
            pos += vel
            for d, hi in ((0, height - oh), (1, width - ow)):
                if pos[d] < 0 or pos[d] > hi:
                    vel[d] = -vel[d]
                    pos[d] = min(max(pos[d], 0.0), hi)
    M = video.reshape(height * width, frames)
    if noise > 0:
        M = M + noise * rng.standard_normal(M.shape)
    observed = None
    if missing > 0:
        observed = rng.random(M.shape) >= missing
        M = np.where(observed, M, np.nan)
    return Video(M=np.ascontiguousarray(M, dtype=dtype), background=bg.reshape(-1).astype(dtype),
                 illumination=illumination.astype(dtype), foreground=fg.reshape(height * width, frames),
                 observed=observed, frame_shape=(height, width))


def f_measure(S: Any, foreground: Any, threshold: float = 0.05) -> float:
    """F-measure of the foreground detected as :math:`|S_{ij}| > \\text{threshold}`.

    :math:`F = 2PR/(P+R)` with precision :math:`P` and recall :math:`R` of the
    detected pixels against ``foreground``. The default threshold, 0.05, is 5%
    of the intensity range of :func:`surveillance_video` (pixels in [0, 1]).

    Parameters
    ----------
    S : array, shape (pixels, frames)
        A sparse part, e.g. ``res.x.S`` of a robust PCA of ``video.M``.
    foreground : bool array, shape (pixels, frames)
        The true foreground (``Video.foreground``).
    threshold : float
        Entries of ``S`` above it in absolute value are detected as foreground.

    Returns
    -------
    float
        F-measure in [0, 1] (0 when nothing true is detected).

    Examples
    --------
    >>> import numpy as np
    >>> from optkit.datasets import f_measure
    >>> truth = np.array([[True, False], [True, False]])
    >>> f_measure(np.array([[0.5, 0.0], [0.0, 0.0]]), truth)
    0.6666666666666666
    """
    S = np.abs(np.asarray(S, dtype=float))
    fg = np.asarray(foreground, dtype=bool)
    if S.shape != fg.shape:
        raise ValueError(f"S and foreground must have the same shape, got {S.shape} and {fg.shape}")
    if not (threshold >= 0 and math.isfinite(threshold)):
        raise ValueError(f"threshold must be nonnegative and finite, got {threshold!r}")
    det = S > threshold
    tp = float(np.sum(det & fg))
    if tp == 0:
        return 0.0
    precision = tp / float(np.sum(det))
    recall = tp / float(np.sum(fg))
    return 2 * precision * recall / (precision + recall)
