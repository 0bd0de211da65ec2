"""
Background and foreground of a surveillance video
=================================================

Robust PCA splits a video, one frame per column, into a low-rank background ``L`` and a sparse
foreground ``S``. The video is :func:`optkit.datasets.surveillance_video`: scikit-image's
``camera`` photograph as a static background under slowly varying light, with textured objects
(cut from the ``coins`` photograph) moving across it, so the true foreground is known.

FW-T (``fw_t``) solves the compressive PCP with the authors' weights (``delta = 1e-3``) and iALM
(``ialm``) solves PCP on the same data; the script reports time, iterations, the optimality
measure, the relative error of the background and the F-measure of the recovered foreground.

Run as a script: ``python examples/rpca/plot_video_separation.py`` (60 frames of 72 x 88
pixels, seconds); ``--full`` (or ``OPTKIT_EXAMPLES_FULL=1``) for 200 frames of 144 x 176 pixels
(the Hall sequence's size) with 75% of the pixels observed.
"""
import os
import sys
import time

import matplotlib.pyplot as plt
import numpy as np

import optkit
from optkit.datasets import f_measure, surveillance_video
from optkit.problems import CompressivePCP, RobustPCA

FULL = "--full" in sys.argv[1:] or os.environ.get("OPTKIT_EXAMPLES_FULL") == "1"
frames, observed = (200, 0.75) if FULL else (60, 1.0)
size = dict(height=144, width=176, object_size=(28, 20)) if FULL else dict(height=72, width=88, object_size=(14, 10))

# %%
# The video
# ---------
# One column per frame; unobserved pixels are NaN in ``M`` and off the mask ``observed``.
video = surveillance_video(frames, missing=1.0 - observed, seed=0, **size)
print(f"video: {video.M.shape[0]} pixels x {video.M.shape[1]} frames, "
      f"{video.foreground.mean():.1%} foreground, {observed:.0%} observed")

# %%
# FW-T and iALM
# -------------
# FW-T stops on its duality gap or when the objective stalls (``ftol``); iALM on its primal
# residual and gap.
runs = {
    "fw_t": (CompressivePCP.from_noise_level(video.M, video.observed, delta=1e-3),
             dict(tol=1e-3, ftol=1e-3, stall_checks=5)),
    "ialm": (RobustPCA(video.M, mask=video.observed), dict(tol=1e-4, max_iter=100)),
}
print(f"{'method':>6} {'status':>9} {'time (s)':>9} {'iter':>5} {'optimality':>11} {'rel. err L':>11} {'F-measure':>10}")
results = {}
for method, (problem, options) in runs.items():
    start = time.perf_counter()
    res = optkit.solve(problem, method=method, **options)
    elapsed = time.perf_counter() - start
    results[method] = res
    print(f"{method:>6} {res.status.name:>9} {elapsed:>9.2f} {res.nit:>5d} {res.optimality:>11.2e} "
          f"{video.relative_error_L(res.x.L):>11.2e} {f_measure(res.x.S, video.foreground):>10.3f}")

# %%
# Frames, background and foreground
# ---------------------------------
L, S = (np.asarray(a) for a in results["fw_t"].x)
shown = [0, frames // 2, frames - 1]
fig, axes = plt.subplots(3, len(shown), figsize=(3.4 * len(shown), 8))
M = np.nan_to_num(video.M, nan=0.0)
for j, t in enumerate(shown):
    for i, (img, title) in enumerate(((M[:, t], "observed frame"), (L[:, t], "background L"),
                                      (np.abs(S[:, t]), "foreground |S|"))):
        axes[i, j].imshow(img.reshape(video.frame_shape), cmap="gray")
        axes[i, j].set_title(f"{title}, t = {t}", fontsize=9)
        axes[i, j].axis("off")
fig.suptitle("FW-T on a synthetic surveillance video")

# %%
# Convergence of FW-T
# -------------------
# The certificate is the relative duality gap of the compressive PCP; ``measures=True`` adds
# the absolute gap.
results["fw_t"].plot(measures=True)
plt.show()
