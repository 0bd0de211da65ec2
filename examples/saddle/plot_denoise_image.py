"""
TV-l1 denoising of a photograph
===============================

scikit-image's camera photograph corrupted by salt-and-pepper noise, denoised by

.. math::
    \\min_u\\; \\|\\nabla u\\|_{2,1} + \\lambda\\|u - f\\|_1

with PDHG to a certified relative suboptimality.

Run as a script: ``python examples/saddle/plot_denoise_image.py`` (a 64 x 64 image to 1e-3,
seconds); ``--full`` (or ``OPTKIT_EXAMPLES_FULL=1``) for 256 x 256 to 1e-4.
"""
import os
import sys

import matplotlib.pyplot as plt
import numpy as np

import optkit
from optkit.datasets.saddle import noisy_camera
from optkit.problems import TVL1Denoising

FULL = "--full" in sys.argv[1:] or os.environ.get("OPTKIT_EXAMPLES_FULL") == "1"
size, tol = (256, 1e-4) if FULL else (64, 1e-3)

# %%
# Denoising
# ---------
noisy, clean = noisy_camera(size, density=0.1, seed=0)
res = optkit.solve(TVL1Denoising(noisy, lam=1.0), tol=tol, max_iter=50000)
err = lambda u: float(np.sqrt(np.mean((u - clean) ** 2)))  # noqa: E731
print(f"{res.method}: {res.nit} iterations, {res.time:.1f} s, certified relative suboptimality "
      f"{res.optimality:.1e}; RMSE noisy {err(noisy):.3f}, denoised {err(res.x):.3f}")

fig, axes = plt.subplots(1, 3, figsize=(12, 4.2))
for ax, img, title in zip(axes, (clean, noisy, res.x), ("clean", "10% salt and pepper", "TV-l1 (PDHG)")):
    ax.imshow(img, cmap="gray", vmin=0, vmax=1)
    ax.set_title(title)
    ax.axis("off")
fig.tight_layout()

# %%
# Convergence
# -----------
res.plot()
plt.show()
