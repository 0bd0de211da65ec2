"""Matricizations of tensors: mode-i unfoldings and the Square Deal reshaping, with their
singular-value thresholding and rank truncation.

A *matricization* of an N-way array :math:`\\mathcal{X} \\in \\mathbb{R}^{n_1\\times\\cdots\\times n_N}`
groups some modes into rows and the others into columns. The mode-i unfolding
:math:`X_{(i)} \\in \\mathbb{R}^{n_i \\times \\prod_{j\\ne i} n_j}` has the single row mode
``i``; the Square Deal reshaping :math:`X_{[\\square]}` (Mu, Huang, Wright & Goldfarb,
ICML 2014) groups the modes into the most balanced pair of row and column sets.

Conventions: arrays are C-ordered, the columns of :math:`X_{(i)}` run over the remaining
modes in increasing order (NumPy ``moveaxis(X, i, 0).reshape(n_i, -1)``). This differs
from Kolda's ``tenmat`` by a column permutation, which no nuclear norm and no SVT sees;
fold and unfold here are always used as a pair.

No copies where they can be avoided: the Gram matrix and the shrinkage product of a
mode-i unfolding are formed on the *view* ``X.reshape(A, n_i, B)`` (``A``, ``B`` the
products of the leading and trailing sizes), so the long unfolding is never
materialised and never decomposed -- only the small :math:`n_i\\times n_i` Gram matrix
goes to ``eigh``.
"""
from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Any

from ..backend import get_namespace
from .svt import GRAM_ASPECT, gram_threshold, nuclear_norm, svt

__all__ = ["Matricization", "mode_unfoldings", "square_matricization", "unfold", "fold", "mode_product",
           "tucker_factors", "tucker_project", "tucker_tangent_project"]


def _prod(values: Any) -> int:
    return int(math.prod(values))


@dataclass(frozen=True)
class Matricization:
    """A grouping of the modes of a tensor of ``shape`` into rows ``rows`` and columns ``cols``.

    Parameters
    ----------
    shape : tuple of int
        Shape :math:`(n_1, \\dots, n_N)` of the tensors it applies to.
    rows, cols : tuple of int
        Disjoint mode indices covering ``range(N)``; the matrix has
        :math:`\\prod_{i\\in rows} n_i` rows and :math:`\\prod_{j\\in cols} n_j` columns.
    """

    shape: tuple
    rows: tuple
    cols: tuple

    def __post_init__(self) -> None:
        if sorted(self.rows + self.cols) != list(range(len(self.shape))) or not self.rows or not self.cols:
            raise ValueError(f"rows {self.rows} and cols {self.cols} must split the modes of a "
                             f"{len(self.shape)}-way tensor into two non-empty sets")

    @property
    def matrix_shape(self) -> tuple[int, int]:
        return _prod(self.shape[i] for i in self.rows), _prod(self.shape[j] for j in self.cols)

    @property
    def perm(self) -> tuple:
        return self.rows + self.cols

    @property
    def _single_mode(self) -> int | None:
        """The row mode when this is a mode-i unfolding in canonical column order, else ``None``."""
        if len(self.rows) == 1 and self.cols == tuple(j for j in range(len(self.shape)) if j != self.rows[0]):
            return self.rows[0]
        return None

    def _blocks(self, X: Any) -> Any:
        """``X`` viewed as ``(A, n_i, B)`` for a mode-i unfolding (no copy for C-ordered ``X``)."""
        xp = get_namespace(X)
        i = self._single_mode
        A, B = _prod(self.shape[:i]), _prod(self.shape[i + 1:])
        return xp.reshape(X, (A, self.shape[i], B))

    def unfold(self, X: Any) -> Any:
        """The matrix of ``X``; a view when the row modes lead (mode 0, contiguous Square Deal)."""
        xp = get_namespace(X)
        if self.perm != tuple(range(len(self.shape))):
            X = xp.permute_dims(X, self.perm)
        return xp.reshape(X, self.matrix_shape)

    def fold(self, M: Any) -> Any:
        """Inverse of :meth:`unfold`."""
        xp = get_namespace(M)
        permuted = tuple(self.shape[i] for i in self.perm)
        X = xp.reshape(M, permuted)
        if self.perm != tuple(range(len(self.shape))):
            inverse = tuple(sorted(range(len(self.perm)), key=lambda k: self.perm[k]))
            X = xp.permute_dims(X, inverse)
        return X

    def _row_gram(self, X: Any) -> Any | None:
        """``X_(i) X_(i)^T`` from the ``(A, n_i, B)`` view, or ``None`` where it would need a copy."""
        xp = get_namespace(X)
        i = self._single_mode
        if i is None:
            return None
        n, total = self.shape[i], _prod(self.shape)
        if GRAM_ASPECT * n > total // n:
            return None
        X3 = self._blocks(X)
        A, B = X3.shape[0], X3.shape[2]
        if A == 1:
            M = X3[0, ...]
            return xp.matmul(M, xp.matrix_transpose(M))
        if B == 1:
            M = X3[..., 0]
            return xp.matmul(xp.matrix_transpose(M), M)
        if n > B:  # the batched products would hold more than the tensor itself
            return None
        return xp.sum(xp.matmul(X3, xp.matrix_transpose(X3)), axis=0)

    def _apply_rows(self, V: Any, d: Any, X: Any) -> Any:
        """``fold(V diag(d) V^T X_(i))`` on the view, for ``V`` with orthonormal columns.

        With ``k`` columns, the factored product costs :math:`4kN` flops against :math:`2n_i N` for
        the assembled :math:`n_i\\times n_i` matrix (``N`` entries); the cheaper one is taken.
        """
        xp = get_namespace(X)
        X3 = self._blocks(X)
        n, k = V.shape
        Vt = xp.matrix_transpose(V)
        if X3.shape[2] == 1:                     # last mode: X_(i)^T is the (A, n) view itself
            M = X3[..., 0]
            if 2 * k < n:
                out = xp.matmul(xp.matmul(M, V) * d, Vt)
            else:
                out = xp.matmul(M, xp.matmul(V * d, Vt))
            return xp.reshape(out, self.shape)
        if 2 * k < n:
            C = xp.matmul(Vt, X3) * xp.reshape(d, (k, 1))
            return xp.reshape(xp.matmul(V, C), self.shape)
        return xp.reshape(xp.matmul(xp.matmul(V * d, Vt), X3), self.shape)

    def shrink(self, X: Any, tau: float) -> tuple[Any, int]:
        """Singular-value thresholding of the matricization, folded back.

        .. math:: \\operatorname{fold}\\big(\\operatorname{prox}_{\\tau\\|\\cdot\\|_*}(X_{(i)})\\big)
                  = \\operatorname{fold}\\big(V_k\\operatorname{diag}(1-\\tau/\\sigma_k)V_k^T X_{(i)}\\big)

        with :math:`X_{(i)}X_{(i)}^T = V\\operatorname{diag}(\\sigma^2)V^T` (the small side), the
        ``k`` singular values above ``tau`` kept (Cai, Candes & Shen 2010). Falls back on
        :func:`optkit.linalg.svt` (thin SVD or Gram of the other side) where the row side is
        not the small one.

        Returns
        -------
        Y : array, the shape of ``X``
        rank : int
        """
        tau = float(tau)
        G = self._row_gram(X)
        if G is None:
            Y, rank = svt(self.unfold(X), tau)
            return self.fold(Y), rank
        Vk, shrink = gram_threshold(G, tau)
        if Vk is None:
            return get_namespace(X).zeros_like(X), 0
        return self._apply_rows(Vk, shrink, X), int(shrink.shape[0])

    def truncate(self, X: Any, rank: int) -> Any:
        """Best rank-``rank`` approximation of the matricization (Eckart-Young), folded back.

        Projection onto the top-``rank`` left singular subspace, :math:`V_kV_k^T X_{(i)}`, from
        the Gram matrix of the small side; the nonconvex ADAL uses it in place of SVT.
        """
        xp = get_namespace(X)
        rank = int(rank)
        G = self._row_gram(X)
        if G is None:
            M = self.unfold(X)
            m, n = M.shape
            if m <= n:
                _, V = xp.linalg.eigh(xp.matmul(M, xp.matrix_transpose(M)))
                Vk = V[:, V.shape[1] - min(rank, m):]
                return self.fold(xp.matmul(Vk, xp.matmul(xp.matrix_transpose(Vk), M)))
            _, V = xp.linalg.eigh(xp.matmul(xp.matrix_transpose(M), M))
            Vk = V[:, V.shape[1] - min(rank, n):]
            return self.fold(xp.matmul(xp.matmul(M, Vk), xp.matrix_transpose(Vk)))
        _, V = xp.linalg.eigh(G)
        Vk = V[:, V.shape[1] - min(rank, V.shape[1]):]
        return self._apply_rows(Vk, xp.ones((Vk.shape[1],), dtype=Vk.dtype), X)

    def spectral_norm(self, X: Any) -> float:
        """:math:`\\|X_{(i)}\\|_2`, the largest singular value of the matricization.

        From the largest eigenvalue of the small Gram matrix where the mode-i view gives one (its
        relative error is of the order of the machine epsilon), otherwise LAPACK singular values.
        """
        xp = get_namespace(X)
        G = self._row_gram(X)
        if G is None:
            return float(xp.max(xp.linalg.svdvals(self.unfold(X))))
        return math.sqrt(max(float(xp.max(xp.linalg.eigvalsh(G))), 0.0))

    def left_singular_vectors(self, X: Any, rank: int) -> Any:
        """The ``rank`` leading left singular vectors of the matricization, shape ``(m, rank)``.

        From the eigenvectors of :math:`X_{(i)}X_{(i)}^T` (the row Gram matrix, formed on the
        copy-free view where possible); their order is immaterial to the callers (projectors).
        """
        xp = get_namespace(X)
        G = self._row_gram(X)
        if G is None:
            M = self.unfold(X)
            G = xp.matmul(M, xp.matrix_transpose(M))
        _, V = xp.linalg.eigh(G)
        return V[:, V.shape[1] - min(int(rank), V.shape[1]):]

    def singular_values(self, X: Any) -> Any:
        """Singular values of the matricization (LAPACK, descending)."""
        xp = get_namespace(X)
        return xp.linalg.svdvals(self.unfold(X))

    def nuclear_norm(self, X: Any) -> float:
        """:math:`\\|X_{(i)}\\|_*`, exact to rounding (used for objectives).

        Where the mode-i view gives the small Gram matrix :math:`G = X_{(i)}X_{(i)}^T = Q\\Lambda Q^T`,
        the sum of the row norms of the rotated matrix :math:`Q^TX_{(i)}`: for any orthogonal
        :math:`Q` it bounds :math:`\\|X_{(i)}\\|_* = \\|Q^TX_{(i)}\\|_*` from above (triangle
        inequality over its rows), with equality when the rows are orthogonal, which the
        eigenvectors make them up to rounding. A numerically zero singular value then adds
        :math:`O(\\epsilon\\,\\sigma_{\\max})`, against :math:`\\sqrt{\\epsilon}\\,\\sigma_{\\max}` for
        :math:`\\sum_i\\sqrt{\\lambda_i}`. It costs one Gram matrix and one product with the
        unfolding; LAPACK's singular values of an 80 x 6400 unfolding took 30-50 times longer,
        and were most of the certificate's cost in ADAL. Elsewhere: LAPACK singular values.
        """
        xp = get_namespace(X)
        G = self._row_gram(X)
        if G is None:
            return nuclear_norm(self.unfold(X))
        _, Q = xp.linalg.eigh(G)
        X3 = self._blocks(X)
        if X3.shape[2] == 1:                     # last mode: X_(i)^T is the (A, n) view itself
            C = xp.matmul(X3[..., 0], Q)
            return float(xp.sum(xp.sqrt(xp.sum(C * C, axis=0))))
        C = xp.matmul(xp.matrix_transpose(Q), X3)
        return float(xp.sum(xp.sqrt(xp.sum(C * C, axis=(0, 2)))))

    def cvxpy_indices(self) -> Any:
        """Flat C-order indices ``idx`` with ``vec(X)[idx].reshape(matrix_shape)`` the matricization."""
        import numpy as np  # noqa: PLC0415  (host-side model building)

        idx = np.transpose(np.arange(_prod(self.shape)).reshape(self.shape), self.perm)
        return idx.reshape(-1)


def mode_unfoldings(shape: tuple) -> tuple[Matricization, ...]:
    """The N mode-i unfoldings of a tensor of ``shape`` (the sum-of-nuclear-norms model)."""
    n = len(shape)
    return tuple(Matricization(tuple(shape), (i,), tuple(j for j in range(n) if j != i)) for i in range(n))


def square_matricization(shape: tuple) -> Matricization:
    """The most balanced matricization (Square Deal).

    Among all splits of the modes into rows and columns, the one whose row count
    :math:`\\prod_{i\\in S} n_i` is closest (in ratio) to :math:`\\sqrt{\\prod_i n_i}`; ties go to
    contiguous leading row modes (a reshape without copy), then to the fewest row modes. For
    equal sizes this is :math:`j = \\lceil N/2 \\rceil` leading modes as in the paper.
    """
    n = len(shape)
    if n < 2:
        raise ValueError(f"a matricization needs at least 2 modes, got shape {shape}")
    total = _prod(shape)
    best = None
    for size in range(1, n):
        for rows in itertools.combinations(range(n), size):
            r = _prod(shape[i] for i in rows)
            c = total // r
            imbalance = abs(math.log(r) - math.log(c))
            contiguous = rows == tuple(range(size))
            key = (round(imbalance, 12), not contiguous, r > c, size)
            if best is None or key < best[0]:
                best = (key, rows)
    rows = best[1]
    return Matricization(tuple(shape), rows, tuple(j for j in range(n) if j not in rows))


def unfold(X: Any, mode: int) -> Any:
    """Mode-``mode`` unfolding :math:`X_{(i)}`, shape ``(n_i, prod of the other sizes)``."""
    return mode_unfoldings(tuple(X.shape))[mode].unfold(X)


def fold(M: Any, mode: int, shape: tuple) -> Any:
    """Inverse of :func:`unfold`: the tensor of ``shape`` whose mode-``mode`` unfolding is ``M``."""
    return mode_unfoldings(tuple(shape))[mode].fold(M)


def mode_product(X: Any, A: Any, mode: int) -> Any:
    """The mode product :math:`\\mathcal{X}\\times_i A`: ``A`` (shape ``(p, n_i)``) applied to every mode-``mode``
    fibre, so that the result's mode-i unfolding is :math:`A X_{(i)}` (shape ``n`` with ``n_i`` replaced by ``p``)."""
    xp = get_namespace(X)
    shape = tuple(X.shape)
    M = xp.matmul(A, unfold(X, mode))
    return fold(M, mode, shape[:mode] + (int(A.shape[0]),) + shape[mode + 1:])


def tucker_factors(X: Any, ranks: tuple) -> list:
    """Orthonormal factors :math:`U_i` (``n_i x r_i``): the leading left singular vectors of every
    mode-i unfolding of ``X`` (the truncated higher-order SVD of De Lathauwer, De Moor & Vandewalle 2000)."""
    return [m.left_singular_vectors(X, r) for m, r in zip(mode_unfoldings(tuple(X.shape)), ranks)]


def tucker_project(X: Any, factors: list) -> Any:
    """:math:`\\mathcal{X}\\times_1 U_1U_1^T\\cdots\\times_N U_NU_N^T`: the orthogonal projection onto the
    tensors whose mode-i column spaces lie in :math:`\\operatorname{span} U_i` (with :func:`tucker_factors`,
    the truncated HOSVD, of multilinear rank at most the factors' widths)."""
    xp = get_namespace(X)
    core = X
    for i, U in enumerate(factors):
        core = mode_product(core, xp.matrix_transpose(U), i)
    out = core
    for i, U in enumerate(factors):
        out = mode_product(out, U, i)
    return out


def tucker_tangent_project(Z: Any, X: Any, factors: list) -> Any:
    """Orthogonal projection of ``Z`` onto the tangent space at ``X`` of the tensors of multilinear rank
    given by ``factors`` (``X`` must lie in their span, e.g. ``X = tucker_project(X0, factors)``).

    With :math:`\\mathcal{X} = \\mathcal{C}\\times_1 U_1\\cdots\\times_N U_N` and
    :math:`P_i = U_iU_i^T`, the tangent space is
    :math:`\\{\\mathcal{G}\\times_i U_i\\} \\oplus \\bigoplus_i
    \\{\\mathcal{C}\\times_i \\delta U_i \\times_{j\\ne i} U_j : U_i^T\\delta U_i = 0\\}` and (Koch & Lubich, SIAM J. Matrix Anal. Appl. 31, 2010)

    .. math::
        P_T(\\mathcal{Z}) = \\mathcal{Z}\\times_i P_i
        + \\sum_i \\mathcal{C}\\times_i\\big((I - P_i)\\,[\\mathcal{Z}\\times_{j\\ne i}U_j^T]_{(i)}
          C_{(i)}^{+}\\big)\\times_{j\\ne i} U_j .

    Each term is the least-squares projection onto its (mutually orthogonal) subspace, so the sum
    is the orthogonal projection onto their direct sum, a linear space that contains ``X``, also
    where a core unfolding is rank deficient (the pseudo-inverse). For a matrix (N = 2) it is the
    familiar :math:`P_UZ + ZP_V - P_UZP_V`.
    """
    xp = get_namespace(Z)
    n = len(factors)
    Ut = [xp.matrix_transpose(U) for U in factors]

    def reduce(A: Any, skip: int) -> Any:
        for j in range(n):
            if j != skip:
                A = mode_product(A, Ut[j], j)
        return A

    def expand(A: Any, skip: int) -> Any:
        for j in range(n):
            if j != skip:
                A = mode_product(A, factors[j], j)
        return A

    core = reduce(X, -1)
    out = expand(reduce(Z, -1), -1)
    for i, U in enumerate(factors):
        A = unfold(reduce(Z, i), i)                                  # n_i x prod_{j != i} r_j
        A = A - xp.matmul(U, xp.matmul(Ut[i], A))                     # (I - P_i) [Z x_{j != i} U_j^T]_(i)
        dU = xp.matmul(A, xp.linalg.pinv(unfold(core, i)))            # n_i x r_i
        shape = tuple(core.shape[:i]) + (int(U.shape[0]),) + tuple(core.shape[i + 1:])
        out = out + expand(fold(xp.matmul(dU, unfold(core, i)), i, shape), i)
    return out
