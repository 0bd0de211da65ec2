"""Frank-Wolfe meets proximal methods for compressive principal component pursuit: FW-T and FW-P.

Reference: C. Mu, Y. Zhang, J. Wright and D. Goldfarb, "Scalable robust matrix
recovery: Frank-Wolfe meets proximal methods", SIAM J. Sci. Comput. 38 (2016),
arXiv:1403.7588; constants and the order of the steps follow the authors' code
(``FW_T.m``, Mu & Wright 2014 and Mu 2016). FW-P has no public code: it is our
reconstruction from the paper.

Each iteration costs a warm-started block subspace iteration for the top
singular triplet of the residual (``rank(L) + 3`` columns, one sweep per step), three
fused passes over the ``m x n`` iterates (Numba on NumPy), products of the
residual with the ``r``-column bases of ``L`` and ``O((m+n) r^2)`` work on the thin
SVD of ``L``; no SVD of an ``m x n`` matrix is ever taken.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any, NamedTuple

from ..._registry import register
from ...kernels import rpca as rpca_kernels
from ...linalg import ThinSVD, extend_basis, partial_svd, rank_one_update, reorthogonalize, right_product
from ...problems._rpca_base import SIGMA_TOL
from ...problems.rpca import CompressivePCP, ConstrainedCPCP, LowRankSparse
from ..base import Check, Options, Solver, option
from ._fw_closed_forms import box_qp, project_l1_ball, project_simplex_ball
from ._partial import accurate_sigma, certify, warm_block

__all__ = ["FWT", "FWP", "box_qp"]

#: The smallest ``tol`` at which FW-T on float64 data multiplies a float32 copy of the residual
#: (a thousand float32 rounding units), and the relative margin by which a check lowers the LMO's
#: Ritz value from that copy so that it stays below sigma_1 (256 of them; see ``FWT._s_step``)
LOW_TOL, LOW_MARGIN = 1e3 * 2.0 ** -23, 2.0 ** -16


@dataclass(frozen=True, kw_only=True)
class FWOptions(Options):
    tol: float = option(1e-3, "stop when the relative duality gap (FW-T) or Frank-Wolfe gap (FW-P) is <= tol")
    max_iter: int = option(1000, "iteration limit")
    svd_tol: float = option(1e-3, "relative change of the top Ritz value that ends the subspace iteration "
                                  "of the LMO (the certificate refines sigma_1 to 1e-10 once the gap is "
                                  "within tol)",
                                  domain="(0, 1)")
    lmo_sweeps: int = option(1, "sweeps of the LMO's subspace iteration per step, each continuing from the "
                                "previous step's block (0: sweep until the top Ritz value changes by at most "
                                "svd_tol, as the first LMO does)", domain="int >= 0")
    reorth_every: int = option(50, "iterations between re-orthonormalisations of the factors of L", domain="int >= 1")
    refine: int = option(1, "proximal gradient steps on the core of L within its current row and column "
                            "spaces after each Frank-Wolfe step (0: the paper's method as published)",
                            domain="int >= 0")
    grow: bool = option(True, "the first refinement step also spans the LMO block's leading singular vectors "
                              "of the gradient (FW-T: Ritz value above lam_L), so the rank can grow by several "
                              "per iteration (False: only the span of L's factors)")


@dataclass
class _State:
    L: Any
    S: Any              # None after FW-T's steps without a mask (see FWT.step)
    G: Any              # residual P(L + S - M) = gradient in L and in S
    sq: float           # ||G||_F^2
    gk: int             # flat index of max |G|
    gmax: float         # max |G|
    l1: float           # ||S||_1
    factors: ThinSVD    # L = U diag(s) V^T, in float64
    bound_L: float      # valid upper bounds on ||L*||_*, ||S*||_1 (FW-T) / the radii (FW-P)
    bound_S: float
    lmo: ThinSVD | None = None  # the LMO's leading Ritz triplets of G (the first is its atom)
    gm: float | None = None     # <G, P(M)> where the pass that wrote G had it (None: the check computes it)
    owned: bool = False         # L and S are the solver's buffers, rewritten by the next step (see FWT.step)
    quad: tuple | None = None   # (<L,L>, <L,S>, <S,S>, <G,L>, <G,S>) from the pass that wrote S and G
    low: Any = None             # a float32 buffer: the residual G rounded to float32 where low_g (FWT._s_step)
    low_g: bool = False         # low holds this state's G: the products with G read it
    k: int = 0
    matvecs: int = 0
    alpha: float = 0.0
    beta: float = 0.0


class _FactoredPoint(NamedTuple):
    """A check's iterate without a mask: ``L = U diag(s) V^T`` from ``factors`` and
    ``S = soft(M - L, lam_S)``, formed by ``finalize`` for the Result and callbacks."""

    factors: ThinSVD


class _FrankWolfe(Solver):
    Options = FWOptions

    def init(self, x0: Any) -> _State:
        p = self.problem
        xp = self.xp
        m, n = p.shape
        # products with a float32 copy of G / lam_S where float32's rounding is far below tol (FWT._s_step)
        self._low = p.dtype == xp.float64 and self.options.tol >= LOW_TOL
        if x0 is None:
            L, S = p.initial_point()
            f64 = xp.float64
            factors = ThinSVD(xp.zeros((m, 0), dtype=f64), xp.zeros((0,), dtype=f64), xp.zeros((n, 0), dtype=f64))
        else:
            L, S = x0
            if isinstance(L, ThinSVD):  # validated, in float64: no SVD taken
                factors = L
                L = rpca_kernels.lowrank_dense(factors.U, factors.s, factors.V, p.shape, p.dtype)
            else:
                factors = self._factor(L)
        G, sq, gk, gmax = rpca_kernels.lowrank_residual(L, S, p.M_obs, p.W)
        l1 = float(xp.sum(xp.abs(S)))
        st = _State(L=L, S=S, G=G, sq=sq, gk=gk, gmax=gmax, l1=l1, factors=factors, bound_L=0.0, bound_S=0.0)
        st.bound_L, st.bound_S = self._initial_bounds(st)
        st.lmo, st.matvecs = self._lmo(st, None)
        return st

    def _factor(self, L: Any) -> ThinSVD:
        """The thin SVD of a dense start, the only SVD of an ``m x n`` matrix in a run (singular
        values below ``100 eps`` of the largest dropped), in float64."""
        xp = self.xp
        U, s, Vt = xp.linalg.svd(L, full_matrices=False)
        eps = float(xp.finfo(L.dtype).eps)
        r = int(xp.sum(xp.astype(s > 100 * eps * float(s[0]), xp.int64))) if float(s[0]) > 0 else 0
        f64 = xp.float64
        return ThinSVD(xp.astype(U[:, :r], f64), xp.astype(s[:r], f64),
                       xp.astype(xp.matrix_transpose(Vt)[:, :r], f64))

    def _lmo(self, s: _State, previous: ThinSVD | None) -> tuple[ThinSVD, int]:
        """The LMO's leading singular triplets of ``s.G`` and the matrix-vector products spent so far.

        A block subspace iteration of ``rank(L) + 3`` columns started from the previous block's
        top three right vectors and the right factor of ``L``. The first LMO sweeps until the top
        Ritz value changes by at most ``svd_tol`` between sweeps; later ones take ``lmo_sweeps``
        sweeps (default one), so across steps the block is one subspace iteration that follows the
        slowly changing residual. Near the solution the top singular values of ``G`` cluster at
        ``lambda_L`` along the row space of ``L`` (optimality: ``G = -lambda_L (U V^T + W)``,
        ``||W|| <= 1``), where a single-vector Lanczos converges slowly; a block that holds that
        space converges in a few sweeps (our design). One sweep per step is our measured choice:
        the settled Ritz value took two sweeps (four products with a 25344 x 28 block on the
        1000-frame video, about half of a step), and with one the runs took as many or a few more
        steps (video 200 frames: 36 -> 36, 400 frames: 40 -> 37, 1000 frames: 49 -> 54, tol 1e-3)
        at half the LMO's cost. The Ritz value stays
        a lower bound on sigma_1, so the certificate (``certify``) is as valid as before; the LMO's
        atom is the exact oracle of the Ritz pair only, the inexact oracle Frank-Wolfe tolerates."""
        xp = self.xp
        p = self.problem
        A = s.low if s.low_g else s.G
        tol = max(self.options.svd_tol, 50 * float(xp.finfo(A.dtype).eps))  # no finer than the precision allows
        V0 = self._start_block(s, previous, 3)
        # the previous block's top three right vectors and the right factor of L: with k = rank + 3
        # columns no start column is drawn from the rows of G (a pass over G and a sort per call)
        k = min(s.factors.rank + 3 if previous is not None else (0 if V0 is None else V0.shape[1]) + 2,
                min(p.shape))
        sweeps_at_most = self.options.lmo_sweeps if previous is not None and self.options.lmo_sweeps > 0 else 100
        block, sweeps = partial_svd(A, k, V0, tol=tol, max_iter=sweeps_at_most, by_value=True)
        if s.low_g:  # the triplets of G (the copy holds G / lam_S) in the data's dtype
            block = ThinSVD(xp.astype(block.U, p.dtype), xp.astype(block.s, p.dtype) * p.lam_S,
                            xp.astype(block.V, p.dtype))
        return block, s.matvecs + 2 * sweeps * k

    def _start_block(self, s: _State, previous: ThinSVD | None, lead: int = 1) -> Any:
        FV = self.xp.astype(s.factors.V, self.problem.dtype, copy=False)
        return warm_block(None if previous is None else previous.V[:, :min(lead, previous.V.shape[1])], FV)

    def _quadratic(self, s: _State, u: Any, v: Any, c: float) -> tuple[float, ...]:
        """The line search's inner products ``(<dL,dL>, <dL,dS0>, <dS0,dS0>, <G,dL>, <G,dS0>)`` with
        ``dL = P(c u v^T - L)``, ``dS0 = -P(S)``, by the fused pass ``fw_quadratic``.

        After a step of FW-T's refined path (no mask) ``S`` is not stored and the line search runs
        over ``alpha`` alone (see ``FWT.step``), so only :math:`\\|dL\\|^2` and :math:`\\langle G, dL\\rangle`
        are formed, the others returned as 0: from the sums the last pass accumulated (``quad``),
        :math:`u^TLv` from the factors of ``L`` and :math:`u^TGv` = the LMO's Ritz value (exact for a
        Rayleigh-Ritz pair, up to the float32 copy's rounding where the LMO read it), with no
        ``m x n`` stream. Where :math:`\\|dL\\|^2` is not resolved above the rounding of its expanded
        form the fused pass is taken instead, with ``dS0 = 0``."""
        p = self.problem
        xp = self.xp
        if s.S is not None and (p.W is not None or s.quad is None):
            return rpca_kernels.fw_quadratic(s.G, s.L, s.S, p.W, u, v, c)
        ll, gl = s.quad[0], s.quad[3]
        f = s.factors
        f64 = xp.float64
        u64, v64 = xp.astype(u, f64), xp.astype(v, f64)
        uv = float(xp.sum(u64 * u64)) * float(xp.sum(v64 * v64))
        ulv = float(xp.sum(xp.matmul(u64, f.U) * f.s * xp.matmul(v64, f.V))) if f.rank else 0.0
        q_ll = c * c * uv - 2.0 * c * ulv + ll
        if not q_ll > 1e-8 * (c * c * uv + ll):
            q = rpca_kernels.fw_quadratic(self._residual(s), s.L, xp.zeros_like(s.L), p.W, u, v, c)
            return q[0], 0.0, 0.0, q[3], 0.0
        return q_ll, 0.0, 0.0, c * float(s.lmo.s[0]) - gl, 0.0

    def _line_search(self, s: _State, u: Any, v: Any, c: float, e: float, tl_lin: float, ts_lin: float,
                     sparse: bool = True):
        """Exact step over [0,1]^2 along dL = P(c u v^T - L), dS = P(e E_ij - S) (``sparse=False``: over
        ``alpha`` alone, ``dS = 0``)."""
        p = self.problem
        n = p.shape[1]
        i0, j0 = divmod(s.gk, n)
        q_ll, q_ls, q_ss, g_l, g_s = self._quadratic(s, u, v, c)
        if not sparse:
            return box_qp(q_ll, 0.0, 1.0, g_l + tl_lin, 0.0), (i0, j0)
        if e != 0.0:
            # the sparse vertex adds e at (i0, j0), an observed entry (G is nonzero there)
            l_at = float(s.L[i0, j0])
            s_at = float(s.S[i0, j0])
            dl_at = c * float(u[i0]) * float(v[j0]) - l_at
            q_ls += e * dl_at
            q_ss += -2.0 * e * s_at + e * e
            g_s += e * float(s.G[i0, j0])
        return box_qp(q_ll, q_ls, q_ss, g_l + tl_lin, g_s + ts_lin), (i0, j0)

    def _factors_step(self, s: _State, alpha: float, c: float, u: Any, v: Any) -> ThinSVD:
        f = s.factors
        if alpha == 0.0:
            return f
        if c == 0.0:
            out = ThinSVD(f.U, f.s * (1.0 - alpha), f.V) if alpha < 1.0 else ThinSVD(f.U[:, :0], f.s[:0], f.V[:, :0])
        else:
            # the factors are kept in float64 whatever the data's dtype: in float32 the small late
            # Frank-Wolfe steps were lost in the rotations of the bases, and the refinement, which
            # rebuilds L from the factors, then undid them (the run stalled near a 1e-3 gap)
            xp = self.xp
            out = rank_one_update(f, 1.0 - alpha, (alpha * c) * xp.astype(u, xp.float64), xp.astype(v, xp.float64))
        if (s.k + 1) % self.options.reorth_every == 0:
            out = reorthogonalize(out)
        return out

    def _refine(self, s: _State, core_prox, grow: tuple[Any, Any] | None = None, stale: bool = False) -> _State:
        """Proximal gradient steps on the core :math:`C` of :math:`L = U C V^T` (``U``, ``V`` fixed).

        The L-part of the gradient is :math:`U^T G V` and, as :math:`P_\\Omega` is a
        projection, its Lipschitz constant is 1, so each step
        :math:`C \\leftarrow \\operatorname{prox}(C - U^TGV)` decreases the objective; a
        proximal step on ``S`` follows (FW-T: soft threshold; FW-P: l1-ball projection).
        ``core_prox`` maps the singular values of the core to the new ones (soft threshold
        by :math:`\\lambda_L`, or projection onto the :math:`\\tau_L` simplex), which drops
        directions that Frank-Wolfe added and no longer needs. This refinement is our design.

        ``grow = (X, Y)`` (shapes ``(m, j)``, ``(n, j)``) widens the bases of the first step
        to :math:`[U\\; X]`, :math:`[V\\; Y]` with the core padded by zeros; ``L`` lies in the
        wider space, so the step still decreases the objective, and with ``X``, ``Y`` the
        LMO's leading singular vectors of ``G`` it is the proximal gradient step restricted
        to them: the rank grows by up to ``j`` per iteration instead of one (our design).

        ``stale``: ``s.L`` is a buffer still to be filled and ``S`` is not stored (only the residual,
        ``s.G`` or its float32 copy, and the factors hold the Frank-Wolfe point; no mask); if no step
        is taken, ``L`` is rebuilt from the factors and the proximal pass runs at it.
        """
        p = self.problem
        xp = self.xp
        f64 = xp.float64
        for step in range(self.options.refine):
            f = s.factors
            U, V = f.U, f.V
            if step == 0 and grow is not None:
                U = extend_basis(U, xp.astype(grow[0], f64))
                V = extend_basis(V, xp.astype(grow[1], f64))
            ku, kv = U.shape[1], V.shape[1]
            if ku == 0 or kv == 0:
                break
            A = s.low if s.low_g else s.G
            GV = xp.astype(right_product(A, xp.astype(V, A.dtype, copy=False)), f64, copy=False)
            if s.low_g:
                GV = GV * p.lam_S  # the copy holds G / lam_S
            B = xp.matmul(xp.matrix_transpose(U), GV)                                 # U^T G V, (ku, kv)
            core = xp.concat([f.s, xp.zeros((kv - f.rank,), dtype=f64)])
            C = xp.eye(ku, kv, dtype=f64) * xp.reshape(core, (1, -1)) - B
            Wc, sc, Zct = xp.linalg.svd(C, full_matrices=False)
            sc = core_prox(sc)
            r = int(xp.sum(xp.astype(sc > 0, xp.int64)))
            f = ThinSVD(xp.matmul(U, Wc[:, :r]), sc[:r], xp.matmul(V, xp.matrix_transpose(Zct)[:, :r]))
            # s.L (this step's Frank-Wolfe iterate) is no longer needed: its buffer takes the new L
            L = rpca_kernels.lowrank_dense(f.U, f.s, f.V, p.shape, p.dtype, out=s.L)
            s = self._s_step(s, L, f)
            stale = False
        if stale:
            f = s.factors
            L = rpca_kernels.lowrank_dense(f.U, f.s, f.V, p.shape, p.dtype, out=s.L)
            s = self._s_step(s, L, f)
        return s

    def _residual(self, s: _State) -> Any:
        """``s.G``, or where it is not stored (see ``FWT._s_step``) the residual at ``s.L`` formed by a
        pass of its own (a check's refinement of sigma_1, a line search's fallback: rare)."""
        if s.G is not None:
            return s.G
        return rpca_kernels.fw_prox(s.L, self.problem.M_obs, self.problem.lam_S, store_s=False)[1]

    def _grow_directions(self, s: _State, above: float) -> tuple[Any, Any] | None:
        """The LMO block's singular vectors of ``G`` with Ritz value above ``above``, if ``grow``."""
        if not self.options.grow:
            return None
        xp = self.xp
        idx = xp.nonzero(s.lmo.s > above)[0]
        if idx.shape[0] == 0:
            return None
        return xp.take(s.lmo.U, idx, axis=1), xp.take(s.lmo.V, idx, axis=1)

    def _finish(self, s: _State, new: _State) -> _State:
        """The LMO of the new residual, computed at the end of each step: the next step needs it,
        and a check reads its top Ritz value as sigma_1."""
        new.lmo, new.matvecs = self._lmo(new, s.lmo)
        return new

    def check(self, s: _State) -> Check:
        """The problem's certificate with the step's pieces and the LMO's top Ritz value as sigma_1,
        refined to 1e-10 from the LMO's block once within tol (see ``certify``)."""
        p = self.problem
        x = LowRankSparse(s.L, s.S)
        nuclear = s.factors.nuclear_norm()
        # the step rewrites owned buffers: the check keeps the factors and finalize forms the iterate
        kept = _FactoredPoint(s.factors) if s.owned else x
        # where G is not stored the certificate reads the sums the pass took (residual_sq, residual_max,
        # residual_data), not the array (CompressivePCP.measures then forms no residual)
        m = certify(lambda sigma: p.measures(x, residual=s.G, residual_sq=s.sq,
                                             residual_max=s.gmax, sigma1=sigma, nuclear=nuclear, l1=s.l1,
                                             residual_data=s.gm),
                    float(s.lmo.s[0]) * (1.0 - LOW_MARGIN if s.low_g else 1.0),
                    lambda: accurate_sigma(self._residual(s), self._start_block(s, s.lmo), SIGMA_TOL), self.options.tol)
        return Check.of(kept, m)

    def finalize(self, check: Check) -> Check:
        """The iterate of a check that kept only the factors of ``L``: ``L`` formed as the step forms
        it and ``S = soft(M - L, lam_S)`` by the step's own pass, so both are the arrays certified."""
        if not isinstance(check.x, _FactoredPoint):
            return check
        p = self.problem
        xp = self.xp
        f = check.x.factors
        L = rpca_kernels.lowrank_dense(f.U, f.s, f.V, p.shape, p.dtype, out=xp.empty(p.shape, dtype=p.dtype))
        S = rpca_kernels.fw_prox(L, p.M_obs, p.lam_S)[0]
        return replace(check, x=LowRankSparse(L, S))

    def info(self, s: _State) -> dict[str, Any]:
        return {"factors": s.factors, "rank": s.factors.rank, "matvecs": s.matvecs,
                "bound_L": s.bound_L, "bound_S": s.bound_S, "last_steps": (s.alpha, s.beta)}


@register("fw_t", aliases=("frank_wolfe_thresholding",))
class FWT(_FrankWolfe):
    """Frank-Wolfe-thresholding (FW-T) for :class:`~optkit.problems.CompressivePCP`.

    Frank-Wolfe on the epigraph form

    .. math::
        \\min\\; \\tfrac12\\|P_\\Omega(L+S-M)\\|_F^2 + \\lambda_L t_L + \\lambda_S t_S
        \\quad\\text{s.t.}\\quad \\|L\\|_*\\le t_L\\le U_L,\\; \\|S\\|_1\\le t_S\\le U_S,

    whose linear minimisation oracle is :math:`(-U_L u_1v_1^T, U_L)` when
    :math:`\\sigma_1(G) > \\lambda_L` (else the origin) and
    :math:`(-U_S\\operatorname{sign}(G_{ij})e_ie_j^T, U_S)` at
    :math:`(i,j) = \\arg\\max|G_{ij}|` when :math:`|G_{ij}| > \\lambda_S`, with
    :math:`G = P_\\Omega(L+S-M)`. The step pair is the exact minimiser of the
    objective over :math:`[0,1]^2` (:func:`box_qp`); then a proximal gradient
    step :math:`S \\leftarrow \\operatorname{soft}(S - P_\\Omega(L+S-M), \\lambda_S)`
    (step 1 = 1/Lipschitz). The bounds :math:`U_L = \\min(U_L, f_k/\\lambda_L)`,
    :math:`U_S = \\min(U_S, f_k/\\lambda_S)` stay valid because
    :math:`\\lambda_L\\|L^\\star\\|_* \\le f^\\star \\le f_k`
    (Mu, Zhang, Wright & Goldfarb 2016, Algorithm FW-T; code ``FW_T.m``) [1]_.
    Our own choices: :math:`t_L` is reset to the exact
    :math:`\\|L\\|_* = \\sum_i s_i` from the thin SVD kept of ``L`` (the authors reset
    only :math:`t_S = \\|S\\|_1`), and the stopping test is the relative duality gap. After each
    step a proximal gradient step on the core of ``L`` within its bases, widened by the LMO
    block's singular vectors of ``G`` above :math:`\\lambda_L` (``refine``, ``grow``; see
    ``_refine``), lets the rank grow by several per iteration and drop atoms no longer needed;
    ``refine=0`` is the published method. With the refinement and without a mask the step leaves
    out the sparse vertex and searches over :math:`\\alpha` alone (the proximal step resets ``S`` to
    its minimiser whatever :math:`\\beta`; the joint search cost a product with ``S`` per step), and
    with ``tol >= 1.2e-4`` on float64 data the products with the residual read a float32 copy of
    it (see ``step`` and ``_s_step``).

    Parameters
    ----------
    problem : CompressivePCP
        The problem to solve.
    options : FWOptions
        Built by :func:`optkit.solve` from its keywords; the table is in
        :ref:`options-fw_t`.

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
    >>> res = optkit.solve(CompressivePCP.from_noise_level(M, delta=1e-2), method="fw_t", tol=1e-5)
    >>> res.success, res.x.L.shape
    (True, (40, 30))
    """

    problem_types = (CompressivePCP,)

    def _initial_bounds(self, s: _State) -> tuple[float, float]:
        p = self.problem
        f0 = self._fun(s)
        return f0 / p.lam_L, f0 / p.lam_S

    def _fun(self, s: _State) -> float:
        """The objective at ``s`` from its pieces (for the bounds)."""
        p = self.problem
        return 0.5 * s.sq + p.lam_L * s.factors.nuclear_norm() + p.lam_S * s.l1

    def step(self, s: _State, measure: bool) -> _State:
        p = self.problem
        u, sigma, v = s.lmo.U[:, 0], float(s.lmo.s[0]), s.lmo.V[:, 0]
        t_l, t_s = s.factors.nuclear_norm(), s.l1
        c, vt_l = (-s.bound_L, s.bound_L) if sigma > p.lam_L else (0.0, 0.0)
        stale = p.W is None and self.options.refine > 0
        if s.gmax > p.lam_S and not stale:
            n = p.shape[1]
            sign = 1.0 if float(s.G[s.gk // n, s.gk % n]) > 0 else -1.0
            e, vt_s = -s.bound_S * sign, s.bound_S
        else:
            e, vt_s = 0.0, 0.0
        (alpha, beta), (i0, j0) = self._line_search(s, u, v, c, e, p.lam_L * (vt_l - t_l), p.lam_S * (vt_s - t_s),
                                                    sparse=not stale)
        factors = self._factors_step(s, alpha, c, u, v)
        if stale:
            # without a mask the refinement rebuilds L from its factors and S = soft(M - L, lam_S) from
            # L, so of the Frank-Wolfe point it reads only the residual: one pass writes G alone (as its
            # float32 copy where the products read that, see _s_step), and L is a buffer that the
            # refinement fills (five streams of m x n -> three). S is not stored at all: the Frank-Wolfe
            # step leaves out the sparse vertex and searches over alpha alone (the proximal step sets
            # S to its minimiser whatever beta), so no step reads S, and finalize forms it. (L is read
            # before this pass and not after it, so once the solver owns it -- no check keeps it, see
            # check -- it is rewritten in place: fresh pages of an m x n array per step cost more than
            # the pass that fills them, 0.5 s of a 2 s step on the 1000-frame video under load.)
            xp = self.xp
            G = rpca_kernels.fw_residual(s.L, p.M_obs, u, v, c, alpha, p.lam_S, G_out=s.low if self._low else s.G,
                                         low=self._low, low_scale=1.0 / p.lam_S)
            new = _State(L=s.L if s.owned else xp.empty_like(s.L), S=None, G=None if self._low else G, sq=math.nan,
                         gk=0, gmax=math.nan, l1=math.nan, factors=factors, bound_L=s.bound_L, bound_S=s.bound_S,
                         k=s.k + 1, matvecs=s.matvecs, alpha=alpha, beta=beta, owned=True,
                         low=G if self._low else s.low, low_g=self._low)
        else:
            L, S, G, sq, gk, gmax, l1, gm = rpca_kernels.fw_update(s.L, s.S, p.M_obs, p.W, u, v, c, alpha, beta,
                                                              i0, j0, beta * e, p.lam_S, G_out=s.G)
            new = _State(L=L, S=S, G=G, sq=sq, gk=gk, gmax=gmax, l1=l1, gm=gm, factors=factors, bound_L=s.bound_L,
                         bound_S=s.bound_S, k=s.k + 1, matvecs=s.matvecs, alpha=alpha, beta=beta)
        lam_l = p.lam_L
        new = self._refine(new, lambda sv: self.xp.clip(sv - lam_l, min=0.0), self._grow_directions(s, lam_l),
                           stale=stale)
        f = self._fun(new)
        new.bound_L = min(new.bound_L, f / p.lam_L)
        new.bound_S = min(new.bound_S, f / p.lam_S)
        return self._finish(s, new)

    def _s_step(self, s: _State, L: Any, factors: ThinSVD) -> _State:
        """The proximal step on ``S`` at a new ``L``:
        :math:`S \\leftarrow \\operatorname{soft}(S - P_\\Omega(L+S-M), \\lambda_S)`.

        Without a mask, on float64 data and with ``tol >= LOW_TOL`` (1.2e-4), the pass writes
        :math:`G/\\lambda_S` rounded to float32 (``low``; :math:`|G_{ij}| \\le \\lambda_S` without a
        mask, as :math:`G = -\\operatorname{clip}(M - L, \\pm\\lambda_S)`, so the copy neither
        overflows nor underflows at any data scale) and not ``G`` itself, and the products with the residual read
        that copy (a check that refines sigma_1 forms ``G`` by a pass of its own, ``_residual``): the
        LMO's sweep here, and the refinement's :math:`G V` after the next Frank-Wolfe step, whose
        residual pass writes only the copy (our design). Single-precision products with the 25344 x
        1000 residual of the 1000-frame video took 0.6-0.75 of the float64 time, which writing the
        copy in a pass that runs anyway does not cost back (a copy cast by a pass of its own did:
        21.8 against 20.7 s). The iterate, the objective and the certificate stay in float64: the
        LMO is an inexact oracle anyway (one sweep per step), and the refinement's gradient, off by
        about 1e-7 relative, only has to decrease the objective, which the float64 pass measures.
        The LMO's Ritz value may exceed :math:`\\sigma_1(G)` by the copy's rounding, so a check
        lowers it by ``LOW_MARGIN`` (1.5e-5 relative) to keep it the lower bound ``certify``
        needs, and the stop is decided on the float64 refinement of :math:`\\sigma_1` as before."""
        p = self.problem
        if p.W is None:
            S, G, sq, gk, gmax, l1, gm, quad, low = rpca_kernels.fw_prox(L, p.M_obs, p.lam_S, G_out=s.G, low=self._low,
                                                                         low_out=s.low, store_s=False,
                                                                         store_g=not self._low, low_scale=1.0 / p.lam_S)
            return replace(s, L=L, S=S, G=G, sq=sq, gk=gk, gmax=gmax, l1=l1, gm=gm, quad=quad, factors=factors,
                           low=low if self._low else s.low, low_g=self._low)
        zero = self.xp.zeros((p.shape[0],), dtype=p.dtype)
        zv = self.xp.zeros((p.shape[1],), dtype=p.dtype)
        # in place: L and s.S belong to the step under way (see _refine), no other state refers to them
        L, S, G, sq, gk, gmax, l1, gm = rpca_kernels.fw_update(L, s.S, p.M_obs, p.W, zero, zv, 0.0, 0.0, 0.0,
                                                          0, 0, 0.0, p.lam_S, G_out=s.G, L_out=L, S_out=s.S)
        return replace(s, L=L, S=S, G=G, sq=sq, gk=gk, gmax=gmax, l1=l1, gm=gm, factors=factors)


@register("fw_p", aliases=("frank_wolfe_projection",))
class FWP(_FrankWolfe):
    """Frank-Wolfe-projection (FW-P) for :class:`~optkit.problems.ConstrainedCPCP`.

    For :math:`\\min \\tfrac12\\|P_\\Omega(L+S-M)\\|_F^2` over
    :math:`\\|L\\|_*\\le\\tau_L`, :math:`\\|S\\|_1\\le\\tau_S`: a Frank-Wolfe step
    towards the vertices :math:`-\\tau_L u_1v_1^T` and
    :math:`-\\tau_S\\operatorname{sign}(G_{ij})e_ie_j^T`, with the exact step
    pair over :math:`[0,1]^2`, followed by a projected gradient step
    :math:`S \\leftarrow \\Pi_{\\|\\cdot\\|_1\\le\\tau_S}(S - P_\\Omega(L+S-M))`
    (step 1; the projection is a soft threshold found by Michelot's fixed point)
    (Mu, Zhang, Wright & Goldfarb 2016, FW-P) [1]_. There is no public code: this is our
    reconstruction, and the exact line search in place of the :math:`2/(k+2)` step is our
    choice. Stops on the relative Frank-Wolfe gap, an upper bound on the relative
    suboptimality. ``x0`` must be feasible (:meth:`ConstrainedCPCP.check_x0` says so).

    Parameters
    ----------
    problem : ConstrainedCPCP
        The problem to solve.
    options : FWOptions
        Built by :func:`optkit.solve` from its keywords; the table is in
        :ref:`options-fw_p`.

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
    >>> res = optkit.solve(ConstrainedCPCP(M, tau_L=40.0, tau_S=40.0), method="fw_p")
    >>> res.success, sorted(res.measures)
    (True, ['gap', 'infeasibility'])
    """

    problem_types = (ConstrainedCPCP,)

    def _initial_bounds(self, s: _State) -> tuple[float, float]:
        return self.problem.tau_L, self.problem.tau_S

    def step(self, s: _State, measure: bool) -> _State:
        p = self.problem
        xp = self.xp
        u, sigma, v = s.lmo.U[:, 0], float(s.lmo.s[0]), s.lmo.V[:, 0]
        n = p.shape[1]
        c = -p.tau_L if sigma > 0 else 0.0
        e = 0.0
        if s.gmax > 0:
            sign = 1.0 if float(s.G[s.gk // n, s.gk % n]) > 0 else -1.0
            e = -p.tau_S * sign
        (alpha, beta), (i0, j0) = self._line_search(s, u, v, c, e, 0.0, 0.0)
        # FW step and the gradient step on S (soft threshold 0 = identity), then the projection
        L, Z, _, _, _, _, _, _ = rpca_kernels.fw_update(s.L, s.S, p.M_obs, p.W, u, v, c, alpha, beta, i0, j0,
                                                beta * e, 0.0)
        S = project_l1_ball(Z, p.tau_S)
        G, sq, gk, gmax = rpca_kernels.lowrank_residual(L, S, p.M_obs, p.W)
        new = _State(L=L, S=S, G=G, sq=sq, gk=gk, gmax=gmax, l1=float(xp.sum(xp.abs(S))),
                     factors=self._factors_step(s, alpha, c, u, v), bound_L=s.bound_L, bound_S=s.bound_S,
                     k=s.k + 1, matvecs=s.matvecs, alpha=alpha, beta=beta)
        new = self._refine(new, lambda sv: project_simplex_ball(sv, p.tau_L), self._grow_directions(s, 0.0))
        return self._finish(s, new)

    def _s_step(self, s: _State, L: Any, factors: ThinSVD) -> _State:
        """The projected gradient step on ``S`` at a new ``L``."""
        p = self.problem
        xp = self.xp
        R = p.residual(L, s.S)
        S = project_l1_ball(s.S - R, p.tau_S)
        G, sq, gk, gmax = rpca_kernels.lowrank_residual(L, S, p.M_obs, p.W)
        return replace(s, L=L, S=S, G=G, sq=sq, gk=gk, gmax=gmax, l1=float(xp.sum(xp.abs(S))), factors=factors)
