"""What the solvers of robust matrix recovery share: the start of iALM and APG, a warm-started
top singular value for the certificates and its refinement near a stop, and the accuracy of the
partial SVDs of iALM and APG."""
from __future__ import annotations

from typing import Any, Callable

from ...backend import get_namespace
from ...linalg import (ThinSVD, deflated_gram_svd, dense, gram_sigma_max, orthonormalize, partial_svd,
                       partial_svt_route)
from ...linalg.svt import GRAM_ASPECT, GRAM_SWEEPS, gram_sweeps

__all__ = ["ritz_sigma", "start", "top_sigma", "accurate_sigma", "warm_block", "certify", "svd_tolerance", "threshold",
           "threshold_route", "empty_factors", "deflation_pays", "deflated_first", "deflation_width",
           "low_gram_accurate", "threshold_deflated"]


def empty_factors(xp: Any, m: int, n: int, dtype: Any) -> ThinSVD:
    """The factors of the zero matrix (rank 0)."""
    return ThinSVD(xp.zeros((m, 0), dtype=dtype), xp.zeros((0,), dtype=dtype), xp.zeros((n, 0), dtype=dtype))


def start(problem: Any, x0: Any) -> tuple[Any, Any, ThinSVD | None]:
    """``(L, S, factors)`` from a validated ``x0`` (or the origin): ``factors`` are those of ``L``
    in the data's dtype where known (the origin, a ``ThinSVD`` start), ``None`` for a dense ``L``."""
    xp, dtype = problem.xp, problem.dtype
    m, n = problem.shape
    if x0 is None:
        L, S = problem.initial_point()
        return L, S, empty_factors(xp, m, n, dtype)
    L, S = x0[0], x0[1]
    if isinstance(L, ThinSVD):
        factors = ThinSVD(*(xp.astype(a, dtype) for a in L))
        return dense(factors, (m, n)), S, factors
    return L, S, None


def top_sigma(A: Any, V0: Any, tol: float) -> tuple[float, Any, bool]:
    """:math:`\\sigma_1(A)`, its right vector (shape ``(n, 1)``) and whether the Gram route gave it.

    A block subspace iteration started at ``V0`` (plus two columns), stopped when :math:`\\sigma_1`
    changes by at most ``tol`` (relative, no finer than the dtype allows) between sweeps; the value
    is a Ritz value, a lower bound on :math:`\\sigma_1`. On a long matrix the iteration is given as
    many sweeps as the Gram route costs (:func:`~optkit.linalg.svt.gram_sweeps`), then the largest
    eigenvalue of the short side's Gram matrix is taken (:func:`~optkit.linalg.gram_sigma_max`,
    exact whatever the clustering). Our design: near a solution the top singular values of iALM's
    multiplier and APG's residual cluster (at the solution the top ``rank(L)`` are equal), and the
    settled Ritz value took 2.2-3.2 s of sweeps per check on the 25344 x 1000 video, where the Gram
    route takes 0.5 s."""
    xp = get_namespace(A)
    tol = max(tol, 50 * float(xp.finfo(A.dtype).eps))
    k = min((0 if V0 is None else V0.shape[1]) + 2, min(A.shape))
    budget = gram_sweeps(A.shape, k)
    svd, sweeps = partial_svd(A, k, V0, tol=tol, max_iter=budget or 200, by_value=True)
    sigma = float(svd.s[0])
    taken = bool(budget) and sweeps >= budget
    if taken:
        # not settled within what the Gram route costs: take its exact value (never below the Ritz value)
        sigma = max(sigma, gram_sigma_max(A))
    return sigma, xp.reshape(svd.V[:, 0], (-1, 1)), taken


def ritz_sigma(A: Any, V0: Any, sweeps: int, row_norms: Any = None) -> tuple[float, Any]:
    """A lower bound on :math:`\\sigma_1(A)` and its right vector (shape ``(n, 1)``): the top Ritz
    value of ``sweeps`` sweeps of a block subspace iteration started at ``V0`` plus two columns,
    however far it is from converged (:math:`u_1^TAv_1 = s_1 \\le \\sigma_1`).

    For the checks of a solver whose certificate grows with :math:`\\sigma_1` (see :func:`certify`,
    which refines the value to ``SIGMA_TOL`` once the measure reaches ``tol``): a low estimate only
    makes a measure above ``tol`` look smaller, never decides a stop. Warm-started at the top
    vector of the last check and the row space of ``L`` (where the residual's top singular space
    lies near a solution), one sweep is ``4 m n k`` multiply-adds; :func:`top_sigma` converges the
    value to a relative ``1e-8`` and on a clustered spectrum hands over to the Gram route (0.45 s a
    check on the 25344 x 1000 video, 20 of APG's 66 CPU seconds there). Our design. ``row_norms``:
    the squared row norms of ``A`` where a fused pass has them (see :func:`~optkit.linalg.partial_svd`)."""
    xp = get_namespace(A)
    k = min((0 if V0 is None else V0.shape[1]) + 2, min(A.shape))
    svd, _ = partial_svd(A, k, V0, tol=0.0, max_iter=sweeps, by_value=True, row_norms=row_norms)
    return float(svd.s[0]), xp.reshape(svd.V[:, 0], (-1, 1))


#: Sweeps a block subspace iteration is assumed to need for sigma_1 to 1e-10 near a stop, where the
#: top singular values cluster (measured: 15 per check on the 200-frame video, FW-T).
_REFINE_SWEEPS = 20


def accurate_sigma(A: Any, V0: Any, tol: float) -> float:
    """:math:`\\sigma_1(A)` to the relative accuracy ``tol`` for a certificate near a stop.

    Near the solution the top singular values of the residual (or multiplier) cluster, where a
    subspace iteration converges slowly (15 sweeps of ``rank + 3`` columns per check on the
    200-frame video). The Gram route (:func:`~optkit.linalg.gram_sigma_max`: one ``p x p``
    Gram matrix of the small side and its eigenvalues, exact whatever the clustering) is taken
    when it costs less than :data:`_REFINE_SWEEPS` sweeps of :func:`top_sigma`'s block
    (``4 m n k`` multiply-adds each): on the 25344 x 1000 video it is one ``1000 x 1000`` Gram
    matrix, against 20-50 sweeps of 28 columns. Our design."""
    m, n = A.shape
    p, q = min(m, n), max(m, n)
    k = min((0 if V0 is None else V0.shape[1]) + 2, p)
    if p * p * q + 4 * p ** 3 <= _REFINE_SWEEPS * 4 * q * p * k:
        return gram_sigma_max(A)
    return top_sigma(A, V0, tol)[0]


def warm_block(v: Any, V: Any) -> Any:
    """The start of a top singular vector's subspace iteration: ``[v, V]``, ``v`` the last top right
    singular vector found (shape ``(n, 1)``) and ``V`` the right factor of ``L``; either may be
    ``None`` (``V`` with no column counts as ``None``). At the solution the top singular space of
    the residual (CPCP: :math:`R = -\\lambda_L(UV^T + W)`) or of the multiplier (PCP:
    :math:`Y = UV^T + W`) holds the row space of ``L``."""
    if V is not None and V.shape[1] == 0:
        V = None
    if v is None or V is None:
        return V if v is None else v
    return get_namespace(V).concat([v, V], axis=1)



def certify(measures: Callable[[float | None], dict], sigma: float | None, refine: Callable[[], float],
            tol: float) -> dict:
    """A problem's measures with the top singular value a solver estimated, refined near a stop.

    ``measures(sigma)`` evaluates the problem's certificate with ``sigma`` as its top singular
    value piece; ``sigma`` is a Ritz value (a lower bound) computed loosely, or ``None`` (the
    problem computes it, to :data:`~optkit.problems._rpca_base.SIGMA_TOL`). Once the optimality measure
    is at or below ``tol`` (a stop is in sight) it is recomputed with ``max(sigma, refine())``,
    ``refine`` giving :math:`\\sigma_1` to ``SIGMA_TOL``: near the solution the top singular values of
    the residual (or multiplier) cluster, where a loose Ritz value may miss :math:`\\sigma_1` by as
    much as the gap itself, so every stop is decided with an accurate certificate while the checks
    before it stay cheap. A Ritz value is a lower bound on :math:`\\sigma_1`, and the certificates
    here grow with :math:`\\sigma_1` (it scales the dual point down, and the dual value grows with
    that scale up to 1: RobustPCA whenever :math:`\\langle Y, M\\rangle > 0`, CompressivePCP whenever
    :math:`\\langle R, L + S\\rangle \\le 0`, as at its solution), so a loose measure above ``tol``
    means an accurate one above ``tol`` too and refining there changes no decision; where the
    condition fails a stop can only come later, never falsely. This two-stage rule is our design.
    Refining once the loose measure came within ``10 tol`` (the earlier rule) cost FW-T 28 of its
    49 checks on the 25344 x 1000 video as a 1000 x 1000 Gram matrix (about 1.3 s each on one BLAS
    thread, half of the run) for no earlier stop.
    """
    m = measures(sigma)
    if sigma is not None and m["optimality"] <= tol:
        m = measures(max(sigma, refine()))
    return m


def svd_tolerance(progress: float, floor: float) -> float:
    """The residual target of a partial SVD's kept triplets: 10% of ``progress``, between ``floor``
    and ``1e-4``.

    ``progress`` is a relative measure of how far the iterate still moves that the step computes
    at every iteration (iALM: its primal and dual residuals; APG: the length of its proximal
    step), so the thresholding errs by about a tenth of that, the partial SVDs are only as
    accurate as the iterate needs, and the iterates do not depend on how often convergence is
    checked. The rule is our design: against 1% of the last checked optimality measure (the
    earlier rule, which tied the iterates to the checks) it gave the same iteration counts on
    RobustPCA 100 x 100 to 300 x 250 and CompressivePCP 60 x 40 to 400 x 300; with 1% of the step,
    APG took 62 instead of 57 iterations on CompressivePCP 60 x 40 (tol 1e-3).
    """
    return min(1e-4, max(floor, 0.1 * progress))


def threshold(X: Any, tau: float, factors: ThinSVD | None, tol: float) -> tuple[Any, ThinSVD]:
    """Singular-value thresholding of ``X`` by ``tau`` through a partial SVD warm-started from the
    right factor of the previous iterate, its block sized by that iterate's rank."""
    L, new, _ = threshold_route(X, tau, factors, tol, False)
    return L, new


def threshold_route(X: Any, tau: float, factors: ThinSVD | None, tol: float,
                    dense: bool) -> tuple[Any, ThinSVD, bool]:
    """:func:`threshold` through :func:`~optkit.linalg.partial_svt_route`: with ``dense`` the dense
    route at once; returns ``(L, factors, dense_next)``, ``dense_next`` telling the next call to take
    the dense route at once: after a hand-over of the subspace iteration (clustered singular values at
    the threshold), and after a dense call that kept the rank of the previous iterate (a rank that
    changes ends the clustering's reign and the subspace iteration is tried again)."""
    rank = 0 if factors is None else factors.rank
    V0 = factors.V if rank else None
    L, new, fell_back = partial_svt_route(X, tau, V0, rank_guess=max(rank, 1), tol=tol,
                                          oversample=max(5, rank // 2), dense=dense)
    return L, new, fell_back or (dense and new.rank == rank)


def deflation_pays(shape: tuple[int, int], dtype: Any, xp: Any) -> bool:
    """Whether the dense route of a thresholding may take the deflated float32 Gram matrix
    (:func:`threshold_deflated`): float64 data, long enough for the Gram route."""
    m, n = shape
    return dtype == xp.float64 and m >= GRAM_ASPECT * n


def deflated_first(shape: tuple[int, int], rank: int) -> bool:
    """Whether the deflated float32 Gram route costs less than the subspace iteration
    :func:`threshold_route` would start with: the rule of :func:`~optkit.linalg.partial_svt_route`
    (``GRAM_SWEEPS`` sweeps of ``rank + max(5, rank // 2)`` columns against the Gram route) with half
    the Gram matrix's cost. On the 25344 x 1000 video it holds from rank 12; at ranks 17-37 the
    subspace iteration took 0.55-0.63 s a step, the deflated route 0.37-0.47 s."""
    p, q = min(shape), max(shape)
    k = rank + max(5, rank // 2)
    return p * p * q / 2 + 4 * p ** 3 <= GRAM_SWEEPS * 4 * k * p * q


def low_gram_accurate(fro2: float, tau: float, sigma1: float, tol: float) -> bool:
    """Whether a deflated float32 Gram matrix with :math:`\\|X_d\\|_F^2` = ``fro2`` resolves the singular
    values at the threshold ``tau`` within a tenth of the accuracy the partial SVDs are held to,
    ``tol`` relative to :math:`\\sigma_1` (see :func:`~optkit.linalg.deflated_gram_svd`: a singular value
    near ``tau`` moves by about :math:`\\epsilon_{32}\\|X_d\\|_F^2/(2\\tau)`). Our rule; without the
    deflation it would hold on the 25344 x 1000 video only in iALM's first steps."""
    return tau > 0.0 and _low_error(fro2, tau) <= 0.1 * tol * sigma1


def _low_error(sq: float, tau: float) -> float:
    """What a sum of squares ``sq`` in the float32 Gram matrix moves a singular value at ``tau`` by."""
    return 2.0 ** -23 * sq / (2.0 * tau)


def deflation_width(sigmas: list, tau: float, tol: float) -> int:
    """How many of the leading singular values ``sigmas`` (descending, at least one) to deflate before
    the float32 Gram matrix: those whose squares would take more than 1% of the error
    :func:`low_gram_accurate` allows (the dominant one always). On the 25344 x 1000 video that is the
    background's alone (sigma_1 = 2930, the next 14 or less), and each further column costs the fused
    pass 4 multiply-adds an entry (0.085 against 0.05 s a pass with 4 columns and 1)."""
    budget = 0.01 * 0.1 * tol * sigmas[0]
    return max(1, sum(1 for v in sigmas if _low_error(v * v, tau) > budget))


#: A singular value this close below the threshold (relative) keeps the thresholding on the dense route.
CLUSTER_BELOW = 0.05


def threshold_deflated(A: Any, V: Any, T: Any, Xd_low: Any, tau: float, rank: int) -> tuple[ThinSVD, bool]:
    """:func:`threshold_route`'s dense route from the deflated pieces of its input (see
    :func:`~optkit.linalg.deflated_gram_svd`; ``rank`` that of the previous iterate): ``(factors,
    dense_next)`` (the caller forms ``L``), ``dense_next`` true when the rank is kept or a singular value lies within
    :data:`CLUSTER_BELOW` below ``tau``. The second condition is our rule: the subspace iteration
    cannot show such a value below the threshold within what the dense route costs; on the
    25344 x 1000 video each of the 8 steps that retried it after a change of rank handed over
    to the dense route after 1.0-1.4 s, the next singular value within 0.2-1.2% below ``tau``."""
    xp = get_namespace(A)
    U, s, Vr, s_next = deflated_gram_svd(A, V, T, Xd_low, tau, below=CLUSTER_BELOW)
    sr = s - tau
    # U carries the float32 part's rounding (its columns orthonormal to about 1e-7): the factors are
    # made an SVD of L = U diag(sr) Vr^T to the dtype's accuracy (Q R = U, then the r x r SVD of R diag(sr)),
    # so that L and the nuclear norm the certificate reads from them agree (they differed by 1e-9
    # relative on a 48 x 12 instance)
    Q = orthonormalize(U)
    Ub, sb, Vbt = xp.linalg.svd(xp.matmul(xp.matrix_transpose(Q), U) * sr, full_matrices=False)
    factors = ThinSVD(xp.matmul(Q, Ub), sb, xp.matmul(Vr, xp.matrix_transpose(Vbt)))
    return factors, int(sr.shape[0]) == rank or s_next > 0.0
