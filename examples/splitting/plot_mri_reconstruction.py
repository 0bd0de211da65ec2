"""
Compressed-sensing MRI: the Shepp-Logan phantom from a quarter of its k-space
=============================================================================

scikit-image's Shepp-Logan phantom is sampled on 25% of its 2-D Fourier coefficients
(:func:`optkit.datasets.mri_phantom`: the central 8% square kept, the rest uniformly at random,
seed 0) with 1% complex noise, and reconstructed by anisotropic-TV regularised least squares
(:class:`optkit.problems.TVImageRecovery` with a :class:`optkit.operators.PartialFourier`
operator),

.. math::
    \\min_x \\tfrac12\\|M F x - b\\|^2 + \\lambda (TV_{rows}(x) + TV_{cols}(x)),

with optkit's default method for it, consensus ADMM on the exact terms (``admm``). The script
prints the objective, the certified relative duality gap and the PSNR of the zero-filled inverse
FFT and of the reconstruction, then shows the truth, both images, the reconstruction error and
the convergence history.

Run as a script: ``python examples/splitting/plot_mri_reconstruction.py`` (64 x 64 pixels, about
a second); ``--full`` (or ``OPTKIT_EXAMPLES_FULL=1``) for 128 x 128 pixels, the size of the
benchmark's CS-MRI instance (about 1600 iterations, 20 s on a busy 2-core machine).
"""
import os
import sys

import matplotlib.pyplot as plt
import numpy as np

import optkit
from optkit.datasets import mri_phantom
from optkit.problems import TVImageRecovery, psnr

FULL = "--full" in sys.argv[1:] or os.environ.get("OPTKIT_EXAMPLES_FULL") == "1"
size = 128 if FULL else 64

# %%
# The data
# --------
# ``b`` holds the sampled k-space values (zero off the mask); the zero-filled reconstruction is
# the adjoint of the sampling operator applied to them, the inverse FFT with zeros elsewhere.
data = mri_phantom(size, seed=0)
print(data.description)
zero_filled = np.asarray(data.operator.adjoint(data.b))

# %%
# TV reconstruction
# -----------------
# ``truth=`` adds the PSNR of the iterate to the measures; the certificate is the relative
# duality gap, so ``tol`` bounds the relative suboptimality of the answer.
problem = TVImageRecovery(data.b, lam_tv=data.lam_tv, operator=data.operator, truth=data.truth)
res = optkit.solve(problem, tol=1e-5)
x = np.asarray(res.x)
print(f"method {res.method}: {res.status.name}, {res.nit} iterations, {res.time:.2f} s")
print(f"objective {res.fun:.6f}, certified relative duality gap {res.optimality:.1e}")
print(f"PSNR zero-filled {psnr(zero_filled, data.truth):.2f} dB, TV reconstruction {res.measures['psnr']:.2f} dB")

# %%
# Images
# ------
panels = [(data.truth, "truth", "gray", 1.0),
          (zero_filled, f"zero-filled IFFT, {psnr(zero_filled, data.truth):.1f} dB", "gray", 1.0),
          (x, f"TV ({res.method}), {res.measures['psnr']:.1f} dB", "gray", 1.0),
          (np.abs(x - data.truth), "|error| of TV", "magma", 0.1)]
fig, axes = plt.subplots(1, 4, figsize=(14, 3.8))
for ax, (img, title, cmap, vmax) in zip(axes, panels):
    shown = ax.imshow(img, cmap=cmap, vmin=0.0, vmax=vmax)
    ax.set_title(title, fontsize=9)
    ax.axis("off")
fig.colorbar(shown, ax=axes[-1], fraction=0.046)
fig.suptitle(f"CS-MRI, {float(np.mean(data.operator.mask)):.0%} of k-space, {size} x {size}")

# %%
# Convergence
# -----------
# The relative duality gap at every check; ``measures=True`` adds the named measures (the
# absolute gap and the PSNR) dashed.
res.plot(measures=True)
plt.show()
