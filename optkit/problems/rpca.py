"""Robust matrix recovery: low-rank plus sparse decompositions from (partly) observed data.

Three convex forms of :math:`M \\approx L + S` with :math:`L` low-rank and :math:`S`
sparse, observed on the entries :math:`\\Omega` (``mask``), with
:math:`P_\\Omega` the entrywise restriction:

- :class:`RobustPCA` -- principal component pursuit (Candes, Li, Ma & Wright 2011),
  :math:`\\min \\|L\\|_* + \\lambda\\|S\\|_1` s.t. :math:`P_\\Omega(L+S) = P_\\Omega(M)`;
- :class:`CompressivePCP` -- the penalised form of Mu, Zhang, Wright & Goldfarb
  ("Scalable robust matrix recovery: Frank-Wolfe meets proximal methods", SIAM J.
  Sci. Comput. 2016, arXiv:1403.7588),
  :math:`\\min \\tfrac12\\|P_\\Omega(L+S-M)\\|_F^2 + \\lambda_L\\|L\\|_* + \\lambda_S\\|S\\|_1`;
- :class:`ConstrainedCPCP` -- its norm-constrained form,
  :math:`\\min \\tfrac12\\|P_\\Omega(L+S-M)\\|_F^2` s.t. :math:`\\|L\\|_*\\le\\tau_L`,
  :math:`\\|S\\|_1\\le\\tau_S` (the problem FW-P solves).

Solutions are :class:`LowRankSparse` named tuples ``(L, S)``.

Each problem's ``measures`` is the one place its certificate is computed. Solvers pass the
pieces they already have, under these names, and the problem computes the others itself:

==================  ======================================================================
``residual``        :math:`R = P_\\Omega(L + S - M)`, shape ``(m, n)``
``residual_sq``     :math:`\\|R\\|_F^2`
``residual_max``    :math:`\\max_{ij}|R_{ij}|`
``sigma1``          :math:`\\sigma_1(R)`, the top singular value of the residual
``nuclear``         :math:`\\|L\\|_*` (e.g. :math:`\\sum_i s_i` of the factors of ``L``)
``l1``              :math:`\\|S\\|_1`
``residual_data``   :math:`\\langle R, P_\\Omega M\\rangle` (:class:`CompressivePCP`)
``dual_sigma``      :math:`\\sigma_1(P_\\Omega Y)` of a multiplier ``Y`` (:class:`RobustPCA`)
``dual_max``        :math:`\\max_{ij}|(P_\\Omega Y)_{ij}|` (:class:`RobustPCA`)
``dual_data``       :math:`\\langle P_\\Omega Y, P_\\Omega M\\rangle` (:class:`RobustPCA`)
==================  ======================================================================

A top singular value the problem computes itself comes from a Lanczos run to a relative
residual of ``1e-10`` (:data:`SIGMA_TOL`); a solver that passes ``sigma1`` or ``dual_sigma``
must pass one at least as accurate wherever the certificate decides a stop. Every gap is
reported with the rounding it may carry in the data's precision added
(:math:`4\\epsilon` times the sum of the absolute values of its terms): negligible in float64,
about ``1e-6`` relative in float32, where it keeps a run from stopping at a gap that the
float64 re-certification puts above ``tol``.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from ..backend import inner
from ..functions.base import check_scalar
from ..linalg import ThinSVD, nuclear_norm
from ._rpca_records import LowRankSparse, LowRankSparseDual
from .base import keyword_weights
from ._rpca_base import (CVXPY_MAX_DIM, _blocks, _CompressiveProblem, _gap, _l1,
                         _LowRankSparseProblem, _max_abs, _sigma1)

__all__ = ["LowRankSparse", "LowRankSparseDual", "RobustPCA", "CompressivePCP", "ConstrainedCPCP"]

#: CompressivePCP's default-method rule (:attr:`CompressivePCP.default_method`), measured by
#: ``benchmarks/_rpca_default.py`` and on the quiet machine: ``fw_t`` on fully observed matrices from
#: ``FW_T_FROM_ENTRIES`` entries on, or from ``FW_T_NOISY_FROM_ENTRIES`` at a noise level of
#: ``FW_T_FROM_NOISE_LEVEL`` or more; ``pcp_apg`` otherwise. On the fully observed 25344-pixel video (noise
#: level 1e-3; quiet machine, one thread, two runs each, CPU seconds FW-T / APG) APG was faster at 100 and
#: 150 frames (2.5-3.5 / 1.2-1.3 and 1.5-1.9 / 1.35-1.45) and FW-T from 200 frames, 5.1e6 entries, on
#: (1.7-2.2 / 2.3-2.4; 300 frames 3.0-3.1 / 4.3-4.9; 400: 4.5-4.7 / 9.0-9.4; 700: 6.1-6.8 / 20.5-21.6). At
#: noise level 3e-2 FW-T was faster from 200 x 150 (3e4 entries) and slower on 60 x 50; at 1e-2 APG was
#: faster or even at every size of the grid (the noise threshold lies between the two measured levels).
FW_T_FROM_ENTRIES = 5_000_000
FW_T_FROM_NOISE_LEVEL = 2e-2
FW_T_NOISY_FROM_ENTRIES = 30_000


@keyword_weights
@dataclass(frozen=True)
class RobustPCA(_LowRankSparseProblem):
    """Principal component pursuit, with missing entries.

    .. math::
        \\min_{L,S}\\; \\|L\\|_* + \\lambda\\|S\\|_1 \\quad\\text{s.t.}\\quad P_\\Omega(L + S) = P_\\Omega(M)

    (Candes, Li, Ma & Wright, "Robust principal component analysis?", J. ACM 58, 2011 [1]_;
    solved by the inexact augmented Lagrangian method [2]_).

    Parameters
    ----------
    M : array, shape (m, n)
        Data; entries off ``mask`` are ignored (they may be NaN).
    mask : bool array, shape (m, n), optional
        ``True`` on observed entries :math:`\\Omega` (all entries if ``None``).
    lam : float, optional
        :math:`\\lambda > 0` (keyword only, like every weight of the family); default
        :math:`1/\\sqrt{\\max(m, n)}`.

    Notes
    -----
    The dual is :math:`\\max_Y \\langle Y, P_\\Omega M\\rangle` over
    :math:`\\|Y\\|_2 \\le 1`, :math:`\\|Y\\|_\\infty \\le \\lambda`,
    :math:`Y = P_\\Omega Y`. Given a multiplier ``Y`` (iALM's, reported as the result's
    ``dual``), the optimality measure is
    :math:`\\max(\\|P_\\Omega(L+S-M)\\|_F/\\|P_\\Omega M\\|_F,\\; |f - \\langle\\hat Y, M\\rangle|/f)`
    with :math:`\\hat Y = P_\\Omega Y/\\max(1, \\|P_\\Omega Y\\|_2, \\|P_\\Omega Y\\|_\\infty/\\lambda)`
    dual feasible. Without a multiplier the gap, and so the optimality measure, is not
    computed (``inf``): a primal pair alone certifies nothing about the objective.

    References
    ----------
    .. [1] E. J. Candes, X. Li, Y. Ma and J. Wright, "Robust principal component analysis?",
       J. ACM 58 (2011), 11:1-11:37.
    .. [2] Z. Lin, M. Chen and Y. Ma, "The augmented Lagrange multiplier method for exact
       recovery of corrupted low-rank matrices", arXiv:1009.5055 (2010).

    Examples
    --------
    Exact recovery of a rank-two matrix with 8% gross errors, a fifth of its entries hidden:

    >>> import numpy as np
    >>> import optkit
    >>> from optkit.datasets import lowrank_sparse_instance
    >>> from optkit.problems import RobustPCA
    >>> M, L0, S0, mask = lowrank_sparse_instance(40, 30, observed=0.8, seed=0)
    >>> res = optkit.solve(RobustPCA(M, mask=mask))
    >>> res.method, res.success
    ('ialm', True)
    >>> bool(np.linalg.norm(res.x.L - L0) < 1e-4 * np.linalg.norm(L0))
    True
    """

    default_method = "ialm"
    optimality_measure = "max(relative primal residual, relative duality gap)"
    _x0_layout = "a pair (L, S) or a triple (L, S, Y) of arrays"
    M: Any
    mask: Any = None
    lam: float | None = field(default=None, kw_only=True)
    W: Any = field(init=False, repr=False, compare=False, default=None)
    M_obs: Any = field(init=False, repr=False, compare=False, default=None)
    n_observed: int = field(init=False, repr=False, compare=False, default=0)
    norm_M: float = field(init=False, repr=False, compare=False, default=0.0)

    def __post_init__(self) -> None:
        self._prepare()
        m, n = self.shape
        lam = 1.0 / math.sqrt(max(m, n)) if self.lam is None else check_scalar("lam", self.lam, positive=True)
        object.__setattr__(self, "lam", lam)

    def objective(self, x: Any) -> float:
        """:math:`\\|L\\|_* + \\lambda\\|S\\|_1`."""
        L, S = _blocks(x)
        return nuclear_norm(L) + self.lam * _l1(S)

    def check_x0(self, x0: Any) -> LowRankSparse | LowRankSparseDual:
        """Validate ``(L, S)`` or ``(L, S, Y)`` (a :class:`LowRankSparseDual`, ``Y`` a multiplier
        to start from, e.g. a previous result's ``dual``); ``L`` may be a ``ThinSVD`` (see
        the base class). Returns copies in the problem's namespace and dtype."""
        if isinstance(x0, (tuple, list)) and not isinstance(x0, ThinSVD) and len(x0) == 3:
            L, S, Y = x0
            return LowRankSparseDual(*super().check_x0((L, S)), self._check_block("x0.Y", Y))
        return super().check_x0(x0)

    def measures(self, x: Any, *, dual: Any = None, residual_sq: float | None = None,
                 nuclear: float | None = None, l1: float | None = None, dual_sigma: float | None = None,
                 dual_max: float | None = None, dual_data: float | None = None) -> dict[str, float]:
        """``fun``, ``optimality``, ``primal_residual`` and ``gap``.

        Parameters
        ----------
        x : pair (L, S)
        dual : array, shape (m, n), optional
            A multiplier ``Y``; without it ``gap`` and ``optimality`` are ``inf``.
        residual_sq, nuclear, l1, dual_sigma, dual_max, dual_data : float, optional
            Pieces a solver already has (see the module docstring): each an ``m x n`` pass
            (``nuclear`` an SVD, ``dual_sigma`` a Lanczos run) otherwise.
        """
        L, S = _blocks(x)
        fun = (nuclear_norm(L) if nuclear is None else nuclear) + self.lam * (_l1(S) if l1 is None else l1)
        if residual_sq is None:
            R = self.residual(L, S)
            residual_sq = inner(R, R)
        primal = math.sqrt(residual_sq) / max(self.norm_M, 1e-300)
        if dual is None:
            return {"fun": fun, "optimality": math.inf, "primal_residual": primal, "gap": math.inf}
        Y = dual if self.W is None else dual * self.W
        s1 = _sigma1(Y) if dual_sigma is None else dual_sigma
        ymax = _max_abs(Y) if dual_max is None else dual_max
        dval = (inner(Y, self.M_obs) if dual_data is None else dual_data) / max(1.0, s1, ymax / self.lam)
        gap = _gap((fun, -dval), self._eps)
        return {"fun": fun, "optimality": max(primal, gap / max(abs(fun), 1e-300)),
                "primal_residual": primal, "gap": gap}

    def to_cvxpy(self, *, max_dim: int | None = CVXPY_MAX_DIM) -> tuple[Any, Any]:
        import cvxpy as cp  # noqa: PLC0415

        # S is eliminated through the constraint (S = P_Omega(M - L); S = 0 off Omega at any
        # solution), which leaves an unconstrained conic problem the interior-point reference
        # solves to full accuracy; the second block is that expression.
        M, W = self._cvx_data(max_dim)
        L = cp.Variable(self.shape)
        S = M - L if W is None else cp.multiply(W, M - L)
        prob = cp.Problem(cp.Minimize(cp.normNuc(L) + self.lam * cp.sum(cp.abs(S))))
        return prob, LowRankSparse(L, S)


@keyword_weights
@dataclass(frozen=True)
class CompressivePCP(_CompressiveProblem):
    """Penalised compressive principal component pursuit.

    .. math::
        \\min_{L,S}\\; \\tfrac12\\|P_\\Omega(L+S-M)\\|_F^2 + \\lambda_L\\|L\\|_* + \\lambda_S\\|S\\|_1

    (Mu, Zhang, Wright & Goldfarb, SIAM J. Sci. Comput. 2016 [1]_, problem (P-pen) with
    :math:`P_Q = P_\\Omega` entry sampling).

    Parameters
    ----------
    M : array, shape (m, n)
        Data; entries off ``mask`` are ignored.
    mask : bool array, shape (m, n), optional
        Observed entries (all if ``None``).
    lam_L, lam_S : float
        Weights :math:`\\lambda_L, \\lambda_S > 0` (keyword only);
        :meth:`from_noise_level` gives the authors' defaults.

    Notes
    -----
    Optimality is the relative duality gap. With :math:`R = P_\\Omega(L+S-M)`,
    the dual is :math:`D(Y) = -\\tfrac12\\|Y\\|_F^2 - \\langle Y, P_\\Omega M\\rangle`
    over :math:`\\|Y\\|_2\\le\\lambda_L`, :math:`\\|Y\\|_\\infty\\le\\lambda_S`,
    and the dual point is
    :math:`Y = R\\min(1, \\lambda_L/\\sigma_1(R), \\lambda_S/\\|R\\|_\\infty)`;
    :math:`(f - D(Y))/f \\ge (f - f^\\star)/f`, and it vanishes at the solution
    (there :math:`Y = R`). A negative difference (possible only with an underestimated
    :math:`\\sigma_1`) is reported by its size, never as zero.

    References
    ----------
    .. [1] C. Mu, Y. Zhang, J. Wright and D. Goldfarb, "Scalable robust matrix recovery:
       Frank-Wolfe meets proximal methods", SIAM J. Sci. Comput. 38 (2016), A3291-A3317.

    Examples
    --------
    >>> import optkit
    >>> from optkit.datasets import lowrank_sparse_instance
    >>> from optkit.problems import CompressivePCP
    >>> M = lowrank_sparse_instance(40, 30, noise=0.01, seed=0)[0]
    >>> problem = CompressivePCP.from_noise_level(M, delta=1e-2)
    >>> res = optkit.solve(problem, tol=1e-5)
    >>> res.method, res.success
    ('pcp_apg', True)
    >>> res.optimality <= 1e-5, sorted(res.measures)
    (True, ['gap'])
    """

    optimality_measure = "relative duality gap"
    M: Any
    mask: Any = None
    lam_L: float = field(default=None, kw_only=True)
    lam_S: float = field(default=None, kw_only=True)
    W: Any = field(init=False, repr=False, compare=False, default=None)
    M_obs: Any = field(init=False, repr=False, compare=False, default=None)
    n_observed: int = field(init=False, repr=False, compare=False, default=0)
    norm_M: float = field(init=False, repr=False, compare=False, default=0.0)

    def __post_init__(self) -> None:
        if self.lam_L is None or self.lam_S is None:
            raise TypeError("CompressivePCP needs lam_L and lam_S (or use CompressivePCP.from_noise_level)")
        self._prepare()
        object.__setattr__(self, "lam_L", check_scalar("lam_L", self.lam_L, positive=True))
        object.__setattr__(self, "lam_S", check_scalar("lam_S", self.lam_S, positive=True))

    @classmethod
    @keyword_weights
    def from_noise_level(cls, M: Any, mask: Any = None, *, delta: float = 1e-3) -> "CompressivePCP":
        """The weights of the authors' code: :math:`\\lambda_L = \\delta\\rho\\|P_\\Omega M\\|_F`,
        :math:`\\lambda_S = \\delta\\sqrt{\\rho}\\,\\|P_\\Omega M\\|_F/\\sqrt{\\max(m,n)}`.

        ``rho`` is the observed fraction; ``delta`` sets the noise level ("the
        smaller the noise, the smaller delta"). Scaling by :math:`\\|P_\\Omega M\\|_F`
        equals the authors' normalisation of the data to unit norm.
        """
        delta = check_scalar("delta", delta, positive=True)
        probe = cls(M, mask, lam_L=1.0, lam_S=1.0)
        m, n = probe.shape
        rho = probe.observed_fraction
        nrm = probe.norm_M
        if nrm == 0:
            raise ValueError("M is zero on the observed entries; the weights would be zero")
        return cls(M, mask, lam_L=delta * rho * nrm, lam_S=delta * math.sqrt(rho) * nrm / math.sqrt(max(m, n)))

    @property
    def noise_level(self) -> float:
        """:math:`\\delta = \\lambda_L / (\\rho\\|P_\\Omega M\\|_F)`, the ``delta`` of :meth:`from_noise_level`
        that gives this ``lam_L`` (the weight's size relative to the data)."""
        return self.lam_L / (self.observed_fraction * max(self.norm_M, 1e-300))

    @property
    def default_method(self) -> str:  # type: ignore[override]
        """``"fw_t"`` on fully observed matrices of five million entries or more, or of 3e4 entries or
        more with :attr:`noise_level` at least 2e-2; ``"pcp_apg"`` otherwise.

        The rule was measured (``benchmarks/_rpca_default.py``, table in ``docs/rpca.md``; CPU time,
        one thread, on a shared machine) after APG's Huber form and FW-T's cheaper step. On the
        synthetic grid (60 x 50 to 1000 x 200, 30% to all observed, noise levels 1e-3 to 1e-2) APG
        converged in every cell and was faster in every one, 1.3 to 12 times (29 on one 60 x 50 cell);
        at 3e-2 it was faster on 60 x 50 and below full observation, and FW-T was faster on the fully
        observed 200 x 150 and 1000 x 200 (1.0-1.5 and 1.3-1.7 times over two runs of seven
        repetitions, 30-70 ms). FW-T's iterations are cheap (a rank-one LMO and a small refinement)
        but their number grows as the noise level and the observed fraction shrink: at
        ``delta = 1e-3`` it stopped at its 1000-iteration limit on 60 x 50 up to 70% observed, on
        200 x 150 up to 50%, on 1000 x 200 at 30% and on the 25344 x 40 video at 75% (APG: 168
        iterations). The former rule, measured with the former APG, also chose FW-T from noise level
        5e-3 with 60% observed, where FW-T had been up to 4.3 times faster; APG's iterations there
        fell from 50-88 to 11-30. APG's partial SVDs grow with the rank of its iterates, so on the fully
        observed videos (``delta = 1e-3``) FW-T wins from 200 frames: on the quiet machine (one thread, CPU seconds) APG
        was faster at 150 frames (1.35-1.45 against 1.5-1.9) and FW-T at 200 (1.7-2.2 against 2.3-2.4),
        400 (4.5-4.7 against 9.0-9.4) and 700 (6.1-6.8 against 20.5-21.6). The shared machine's grid
        (medians of three) had put the crossover at 400-500 frames: its load slowed FW-T's passes over
        the data more than APG's Gram matrices (on 1000 frames 40.4 against 53.9 CPU seconds there;
        quiet, FW-T reaches its tolerance in 19.1 s, 53 iterations, and APG in 54.2 s, 45 iterations,
        both OPTIMAL with F-measure 0.923). The thresholds lie between measured points, the size
        threshold on the video's 25344-row shape only; with entries missing APG stays the default (FW-T's limit on the partly observed
        40-frame video).
        """
        m, n = self.shape
        if self.observed_fraction == 1.0 and (m * n >= FW_T_FROM_ENTRIES or (
                m * n >= FW_T_NOISY_FROM_ENTRIES and self.noise_level >= FW_T_FROM_NOISE_LEVEL)):
            return "fw_t"
        return "pcp_apg"

    def _fun(self, sq: float, nuclear: float, l1: float) -> float:
        return 0.5 * sq + self.lam_L * nuclear + self.lam_S * l1

    def objective(self, x: Any) -> float:
        L, S = _blocks(x)
        R = self.residual(L, S)
        return self._fun(inner(R, R), nuclear_norm(L), _l1(S))

    _reads_residual = False  # only <R, M>, given as residual_data by the solvers that have it

    def _certificate(self, L: Any, S: Any, R: Any, sq: float, rmax: float, sigma1: float, nuclear: float,
                     l1: float, rm: float | None = None) -> dict[str, float]:
        """``fun``, ``optimality`` (relative duality gap) and ``gap``."""
        fun = self._fun(sq, nuclear, l1)
        scale = 1.0
        if sigma1 > self.lam_L:
            scale = self.lam_L / sigma1
        if rmax * scale > self.lam_S:
            scale = self.lam_S / rmax
        dval = -0.5 * scale * scale * sq - scale * (inner(R, self.M_obs) if rm is None else rm)
        gap = _gap((fun, -dval), self._eps)
        return {"fun": fun, "optimality": gap / max(fun, 1e-300), "gap": gap}

    def to_cvxpy(self, *, max_dim: int | None = CVXPY_MAX_DIM) -> tuple[Any, Any]:
        import cvxpy as cp  # noqa: PLC0415

        L, S = cp.Variable(self.shape), cp.Variable(self.shape)
        obj = (0.5 * cp.sum_squares(self._cvx_residual(L, S, max_dim)) + self.lam_L * cp.normNuc(L)
               + self.lam_S * cp.sum(cp.abs(S)))
        return cp.Problem(cp.Minimize(obj)), LowRankSparse(L, S)


@keyword_weights
@dataclass(frozen=True)
class ConstrainedCPCP(_CompressiveProblem):
    """Norm-constrained compressive principal component pursuit.

    .. math::
        \\min_{L,S}\\; \\tfrac12\\|P_\\Omega(L+S-M)\\|_F^2 \\quad\\text{s.t.}\\quad
        \\|L\\|_* \\le \\tau_L,\\; \\|S\\|_1 \\le \\tau_S

    (Mu, Zhang, Wright & Goldfarb 2016 [1]_, problem (P-con), solved by FW-P).

    Parameters
    ----------
    M : array, shape (m, n)
        Data; entries off ``mask`` are ignored.
    mask : bool array, shape (m, n), optional
        Observed entries (all if ``None``).
    tau_L, tau_S : float
        Radii :math:`\\tau_L, \\tau_S > 0` (keyword only).

    Notes
    -----
    Optimality is the relative Frank-Wolfe gap
    :math:`\\langle R, L\\rangle + \\tau_L\\sigma_1(R) + \\langle R, S\\rangle + \\tau_S\\|R\\|_\\infty`
    (an upper bound on :math:`f - f^\\star` for feasible points), divided by
    :math:`\\max(f, 10^{-12} f(0))`, together with the relative constraint
    violation ``infeasibility``.

    References
    ----------
    .. [1] C. Mu, Y. Zhang, J. Wright and D. Goldfarb, "Scalable robust matrix recovery:
       Frank-Wolfe meets proximal methods", SIAM J. Sci. Comput. 38 (2016), A3291-A3317.

    Examples
    --------
    >>> import optkit
    >>> from optkit.datasets import lowrank_sparse_instance
    >>> from optkit.problems import ConstrainedCPCP
    >>> M = lowrank_sparse_instance(30, 20, noise=0.1, seed=8)[0]
    >>> res = optkit.solve(ConstrainedCPCP(M, tau_L=40.0, tau_S=40.0))
    >>> res.method, res.success
    ('fw_p', True)
    """

    default_method = "fw_p"
    optimality_measure = "max(relative Frank-Wolfe gap, relative infeasibility)"
    M: Any
    mask: Any = None
    tau_L: float = field(default=None, kw_only=True)
    tau_S: float = field(default=None, kw_only=True)
    W: Any = field(init=False, repr=False, compare=False, default=None)
    M_obs: Any = field(init=False, repr=False, compare=False, default=None)
    n_observed: int = field(init=False, repr=False, compare=False, default=0)
    norm_M: float = field(init=False, repr=False, compare=False, default=0.0)

    def __post_init__(self) -> None:
        if self.tau_L is None or self.tau_S is None:
            raise TypeError("ConstrainedCPCP needs tau_L and tau_S")
        self._prepare()
        object.__setattr__(self, "tau_L", check_scalar("tau_L", self.tau_L, positive=True))
        object.__setattr__(self, "tau_S", check_scalar("tau_S", self.tau_S, positive=True))

    def objective(self, x: Any) -> float:
        L, S = _blocks(x)
        R = self.residual(L, S)
        return 0.5 * inner(R, R)

    def check_x0(self, x0: Any) -> LowRankSparse:
        """As the base class, and ``x0`` must be feasible: :math:`\\|L\\|_* \\le \\tau_L`,
        :math:`\\|S\\|_1 \\le \\tau_S` (to a relative ``1e-12``)."""
        L, S = super().check_x0(x0)
        if self._nuclear_of(L) > self.tau_L * (1 + 1e-12) or _l1(S) > self.tau_S * (1 + 1e-12):
            raise ValueError("x0 must be feasible: ||L||_* <= tau_L and ||S||_1 <= tau_S")
        return LowRankSparse(L, S)

    def _certificate(self, L: Any, S: Any, R: Any, sq: float, rmax: float, sigma1: float, nuclear: float,
                     l1: float, rm: float | None = None) -> dict[str, float]:
        """``fun``, ``optimality``, ``gap`` and ``infeasibility`` (``rm`` is not needed)."""
        fun = 0.5 * sq
        gap = _gap((inner(R, L), inner(R, S), self.tau_L * sigma1, self.tau_S * rmax), self._eps)
        infeas = max(0.0, nuclear / self.tau_L - 1.0, l1 / self.tau_S - 1.0)
        rel = gap / max(fun, 1e-12 * 0.5 * self.norm_M ** 2, 1e-300)
        return {"fun": fun, "optimality": max(rel, infeas), "gap": gap, "infeasibility": infeas}

    def to_cvxpy(self, *, max_dim: int | None = CVXPY_MAX_DIM) -> tuple[Any, Any]:
        import cvxpy as cp  # noqa: PLC0415

        L, S = cp.Variable(self.shape), cp.Variable(self.shape)
        obj = 0.5 * cp.sum_squares(self._cvx_residual(L, S, max_dim))
        cons = [cp.normNuc(L) <= self.tau_L, cp.sum(cp.abs(S)) <= self.tau_S]
        return cp.Problem(cp.Minimize(obj), cons), LowRankSparse(L, S)
