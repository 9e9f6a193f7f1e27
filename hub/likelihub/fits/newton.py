"""Projected Newton minimisation with an exact Hessian, for backends that have one.

Newton steps on the parameters not held at a bound, with a Levenberg shift where the Hessian
is not positive definite, and a backtracking line search along the projected path. It converges
in a handful of iterations where MIGRAD must first learn the curvature; :func:`likelihub.fits.engine.fit`
tries it first for backends with an analytic Hessian and judges its result like any other (the
estimated distance to the minimum and the gradient probe), falling back to MIGRAD otherwise.

One algorithm, :func:`newton_batch`: a single fit is a batch of one (its arrays indexed by
slices, not index arrays, where every fit of the batch is concerned: numpy's overhead on tiny
arrays is what a single fit spends most on), many fits advance in lock-step (toys, the models of a
scan). All take the same steps from the same start, so that where a likelihood has several minima
(ATLAS 1Lbb C1N2_Wh_hbb_650_0 at mu = 1: two, 0.0063 apart in -log L) a model's fits reach the
same one alone, in a scan and in a batch of toys. One rule says which parameters are held at a
bound (:func:`held_at_bounds`, also what :func:`~likelihub.fits.minimum.projected_gradient`
zeroes), and one line search (:func:`_line_search`) moves every fit.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy.linalg.lapack import dpotrf, dtrtri

from likelihub.fits.result import FitResults

__all__ = ["levenberg_factor", "held_at_bounds", "newton_batch", "BATCHED_LINALG_MAX_PARAMETERS"]


def levenberg_factor(hessian: np.ndarray) -> tuple[tuple, float]:
    """Cholesky factor of H + lambda I with the smallest lambda of 0, 1e-8, 1e-7, ... (x scale)
    that makes it positive definite; also lambda. Cholesky tries only (LAPACK's dpotrf, called
    directly: this runs for every toy of a batch): the eigenvalue routines run threaded LAPACK,
    which is slow for small matrices on a busy machine. The factor is ``cho_factor``'s
    ``(lower triangle, True)``."""
    factor, info = dpotrf(hessian, lower=1, clean=1)
    if info == 0:
        return (factor, True), 0.0
    if not np.all(np.isfinite(hessian)):
        raise np.linalg.LinAlgError("the Hessian is not finite")
    scale = max(1.0, float(np.abs(np.diagonal(hessian)).max()))
    eye = np.eye(len(hessian))
    for k in range(-8, 3):
        shift = scale * 10.0**k
        factor, info = dpotrf(hessian + shift * eye, lower=1, clean=1)
        if info == 0:
            return (factor, True), shift
    raise np.linalg.LinAlgError("no Levenberg shift makes the Hessian positive definite")


def _inverse_from_cholesky(factor: tuple) -> np.ndarray:
    """H^-1 = L^-T L^-1 from ``cho_factor``'s lower factor L. Not ``cho_solve(factor, I)``: its
    multi-column triangular solve rounds differently with the number of BLAS threads, and a fit
    must give the same numbers in a scan's single-threaded worker as in the main process."""
    lower, info = dtrtri(factor[0], lower=1)  # dpotrf(clean=1) left the upper triangle zero
    if info != 0:
        raise np.linalg.LinAlgError("the Cholesky factor is singular")
    return lower.T @ lower


def held_at_bounds(x: np.ndarray, grad: np.ndarray, low: np.ndarray, high: np.ndarray,
                   tolerance: float, finite_bounds: bool = False) -> np.ndarray:
    """Parameters a gradient pushes against a bound they (nearly) sit on: moving them onto it
    would gain less than ``tolerance`` (MIGRAD's bound transformation leaves parameters a hair
    inside their bounds). The one rule of the fits: the Newton steps leave these parameters where
    they are, and :func:`~likelihub.fits.minimum.projected_gradient` zeroes their gradient.

    ``x`` and ``grad`` are (P,) or (N, P), ``low`` and ``high`` (P,); returns booleans of ``x``'s shape.
    ``finite_bounds`` says that every bound is finite (no 0 * inf to silence: faster).
    """
    if finite_bounds:
        return _held(x, grad, low, high, tolerance)
    with np.errstate(invalid="ignore"):  # 0 * inf where a bound is infinite: not held
        return _held(x, grad, low, high, tolerance)


def _held(x, grad, low, high, tolerance):
    at_low = (grad > 0) & (grad * (x - low) <= tolerance)
    at_high = (grad < 0) & (grad * (x - high) <= tolerance)
    return at_low | at_high


#: Up to this many free parameters, the Cholesky factors and inverses of a batch are computed by
#: numpy's batched routines (one call for all fits); above it, fit by fit through LAPACK directly
#: (a batched Cholesky fails as a whole as soon as one Hessian is not positive definite). A batch
#: of one (a single fit) always goes through LAPACK directly: no batched routine's overhead.
BATCHED_LINALG_MAX_PARAMETERS = 32


def _inverses(hessians: np.ndarray, free: np.ndarray):
    """Inverse of each (Levenberg-shifted) H[free, free], embedded in a zero (P, P) matrix; the shifts
    (inf where no shift makes H positive definite, with a zero inverse)."""
    n, p = free.shape
    inverse = np.zeros((n, p, p))
    shift = np.zeros(n)
    if n > 1 and p <= BATCHED_LINALG_MAX_PARAMETERS and free.all():
        try:
            lower = np.linalg.cholesky(hessians)
            identity = np.broadcast_to(np.eye(p), hessians.shape)
            lower_inverse = np.linalg.solve(lower, identity)
            return np.swapaxes(lower_inverse, 1, 2) @ lower_inverse, shift
        except np.linalg.LinAlgError:
            pass
    for i in range(n):
        keep = free[i]
        every = keep.all()
        try:
            factor, shift[i] = levenberg_factor(hessians[i] if every else hessians[i][np.ix_(keep, keep)])
            if every:
                inverse[i] = _inverse_from_cholesky(factor)
            else:
                inverse[i][np.ix_(keep, keep)] = _inverse_from_cholesky(factor)
        except np.linalg.LinAlgError:
            shift[i] = np.inf
    return inverse, shift


def newton_batch(evaluate: Callable, hessian: Callable, x0: np.ndarray, low: np.ndarray, high: np.ndarray,
                 edm_max: float, max_iterations: int = 100, deadline=None) -> FitResults:
    """Projected-Newton minimisation of N functions at once, each on its own path.

    Steps use the inverse of the exact Hessian (Levenberg-shifted where needed), kept up to date
    between exact Hessians by BFGS updates from the gradients, which cost a fraction of a Hessian;
    the Hessian of a fit is computed anew where its set of parameters held at bounds changes, where
    its line search had to shorten a step, and always to confirm convergence. A fit of one is a
    batch of one: single fits, toys and the fits of a scan's models in lock-step take the same
    path from the same start.

    Parameters
    ----------
    evaluate
        ``evaluate(x (M, P), rows (M,)) -> (value (M,), grad (M, P))``: -log L of fits ``rows`` and
        its gradient (non-finite values are rejected by the line search).
    hessian
        ``hessian(x (M, P), rows (M,)) -> (M, P, P)``: the exact Hessians of -log L.
    x0
        (N, P) starting points (clipped to the bounds).
    low, high
        (P,) bounds.
    edm_max
        Convergence: the estimated distance to the minimum, 1/2 g^T H^-1 g on the parameters not
        held at a bound, with the exact Hessian.
    max_iterations
        Iterations before the fits that have not converged are given up.
    deadline
        A :class:`~likelihub.fits.budget.Deadline` checked at each iteration (it raises there).

    Returns
    -------
    FitResults
        Where the fits stopped: ``values`` (N, P) (the free parameters), ``nll``, ``converged`` (the
        EDM with the exact, positive definite Hessian at most ``edm_max``, or every parameter held
        at a bound), ``edm`` (inf where not converged), ``n_evaluations`` (of -log L and its
        gradient, per fit).
    """
    x = np.clip(np.array(x0, dtype=float), low, high)
    n, p = x.shape
    state = _State(n, p)
    finite_bounds = bool(np.isfinite(low).all() and np.isfinite(high).all())

    def evaluate_rows(points, rows):
        state.evaluations[_at(rows, n)] += 1
        value, grad = evaluate(points, rows)
        value = np.asarray(value, dtype=float)
        finite = np.isfinite(value)
        return (value if _all(finite) else np.where(finite, value, np.inf)), np.asarray(grad, dtype=float)

    every = np.arange(n)
    value, grad = evaluate_rows(x, every)
    value, grad = np.array(value), np.array(grad)  # ours to update in place, not the caller's
    active = np.isfinite(value)
    for _ in range(max_iterations):
        rows = every if _all(active) else np.flatnonzero(active)
        if rows.size == 0:
            break
        if deadline is not None:
            deadline.check()
        at = _at(rows, n)
        free = ~held_at_bounds(x[at], grad[at], low, high, 0.1 * edm_max, finite_bounds)
        held = ~free.any(axis=1)  # every parameter held at a bound: a minimum on the corner
        if _any(held):
            state.converged[rows[held]], state.edm[rows[held]], active[rows[held]] = True, 0.0, False
            rows, free = rows[~held], free[~held]
            at = _at(rows, n)
        fresh = state.stale[at] | (free != state.inverse_free[at]).any(axis=1)
        if _any(fresh):
            renew, free_renew = (rows, free) if _all(fresh) else (rows[fresh], free[fresh])
            inverses, shift = _inverses(hessian(x[_at(renew, n)], renew), free_renew)
            state.inverse[renew], state.inverse_free[renew] = inverses, free_renew
            state.exact[renew], state.stale[renew] = shift == 0.0, False
            usable = np.isfinite(shift)
            if not _all(usable):
                active[renew[~usable]] = False  # no Newton step there: given up
                keep = active[rows]
                rows, free = rows[keep], free[keep]
                at = _at(rows, n)
        g = np.where(free, grad[at], 0.0)
        step = -_products(state.inverse[at], g)
        distance = -0.5 * _dots(g, step)
        small = distance <= edm_max
        if _any(small):
            exact = state.exact[at]
            state.stale[rows[small & ~exact]] = True  # confirm with the exact Hessian
            done = small & exact
            _finish(rows[done], step[done], distance[done], x, value, grad, low, high, edm_max,
                    evaluate_rows, state)
            active[rows[done]] = False
            search = ~small
            rows, step, free = rows[search], step[search], free[search]
        _line_search(rows, step, free, x, value, grad, low, high, evaluate_rows, state, active)
    return FitResults(x, value, state.converged, state.edm, state.evaluations, method="newton")


def _dots(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Row-wise dot products of (M, P) arrays: (M,). One row by one BLAS call (a batch of one)."""
    return a @ b[0] if len(a) == 1 else np.einsum("ni,ni->n", a, b)


def _products(matrices: np.ndarray, vectors: np.ndarray) -> np.ndarray:
    """Row-wise matrix-vector products of (M, P, P) and (M, P) arrays: (M, P)."""
    if len(vectors) == 1:
        return (matrices[0] @ vectors[0])[None, :]
    return np.matmul(matrices, vectors[:, :, None])[:, :, 0]


def _clip(x: np.ndarray, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """``np.clip(x, low, high)`` by two ufuncs (the same numbers, without ``np.clip``'s checks)."""
    out = np.maximum(x, low)
    return np.minimum(out, high, out=out)


def _all(mask: np.ndarray) -> bool:
    """``mask.all()``, without numpy's reduction for one element (a batch of one)."""
    return bool(mask[0]) if mask.size == 1 else bool(mask.all())


def _any(mask: np.ndarray) -> bool:
    """``mask.any()``, without numpy's reduction for one element (a batch of one)."""
    return bool(mask[0]) if mask.size == 1 else bool(mask.any())


def _at(rows: np.ndarray, n: int) -> np.ndarray | slice:
    """How to index the fits ``rows`` (sorted, unique) of a batch of ``n``: a slice where they are
    all the fits (a batch of one, the first iterations of a batch), whose views spare numpy's copies
    and index arithmetic (a single fit's iterations cost little more than its evaluations), else
    ``rows``."""
    return slice(None) if rows.size == n else rows


class _State:
    """Per fit: the inverse Hessian (zero outside the parameters it covers), whether it must be
    computed anew from an exact Hessian (``stale``) or is one (``exact``); the outcome."""

    def __init__(self, n: int, p: int):
        self.inverse = np.zeros((n, p, p))
        self.inverse_free = np.zeros((n, p), bool)
        self.stale = np.ones(n, bool)
        self.exact = np.zeros(n, bool)
        self.converged = np.zeros(n, bool)
        self.edm = np.full(n, np.inf)
        self.evaluations = np.zeros(n, dtype=int)
        self.stalls = np.zeros(n, dtype=int)
        self.stalling = False  # whether any fit has stalled yet (the counts are reset only then)


def _finish(rows, step, distance, x, value, grad, low, high, edm_max, evaluate_rows, state) -> None:
    """Converged fits: their last Newton step where it lowers -log L (it costs one evaluation and
    squares the remaining error, where that is not negligible already)."""
    if rows.size == 0:
        return
    state.converged[rows], state.edm[rows] = True, distance
    needed = distance > 1e-4 * edm_max
    rows, step = rows[needed], step[needed]
    if rows.size == 0:
        return
    trial = _clip(x[rows] + step, low, high)
    trial_value, trial_grad = evaluate_rows(trial, rows)
    better = trial_value <= value[rows]
    rows = rows[better]
    x[rows], value[rows], grad[rows] = trial[better], trial_value[better], trial_grad[better]


#: Newton steps in a row cut to at most :data:`STALL_LENGTH` of their length by the line search (or
#: not taken) after which a fit is given up as stalled: Newton's model is wrong there, most often at
#: a kink of -log L where the minimum lies (a bin raised to a floor; :mod:`likelihub.fits.kinks` takes
#: over), and each further step halves its line search more often (on toys of Combine's long-exercise
#: autoMCStats card, up to 100 iterations and 1,500 evaluations that gain 1e-7 each).
MAX_STALLS = 5

#: A step cut to this fraction of the Newton step or less counts towards :data:`MAX_STALLS`.
STALL_LENGTH = 1.0 / 16.0


def _count_stalls(rows, accepted, length, state, active) -> None:
    """Count the fits' stalled iterations (a step cut to :data:`STALL_LENGTH` or less, or none taken)
    and give up the fits at :data:`MAX_STALLS` in a row; a longer step resets the count."""
    stalled = ~accepted | (length <= STALL_LENGTH)
    if not (state.stalling or _any(stalled)):
        return
    state.stalling = True
    state.stalls[rows] = np.where(stalled, state.stalls[rows] + 1, 0)
    active[rows[state.stalls[rows] >= MAX_STALLS]] = False


def _sufficient_decrease(moves, values, start_value, start_grad) -> np.ndarray:
    """Armijo's condition of the line search for the moves ``points - start`` (an infinite value
    never meets it)."""
    decrease = _dots(start_grad, moves)
    return values <= start_value + 1e-4 * np.minimum(decrease, 0.0) + 1e-15


def _line_search(rows, step, free, x, value, grad, low, high, evaluate_rows, state, active) -> None:
    """Backtracking along the projected Newton steps (halving up to 40 times, Armijo's condition),
    then the BFGS update of each inverse Hessian, or a fresh Hessian next time where the step had
    to be shortened or the curvature is not positive; a fit whose exact Newton step fails is given
    up, one whose updated inverse misled the step gets an exact Hessian first. The line search of
    every fit, alone or in a batch."""
    if rows.size == 0:
        return
    n = len(x)
    at = _at(rows, n)
    start, start_value, start_grad = x[at], value[at], grad[at]  # views where ``at`` is a slice
    trial = _clip(start + step, low, high)
    trial_value, trial_grad = evaluate_rows(trial, rows)
    moves = trial - start
    accepted = _sufficient_decrease(moves, trial_value, start_value, start_grad)
    full = _all(accepted)  # every full step taken: nothing to backtrack
    length, pending = None, None
    if not full:  # the evaluations' arrays are the caller's: copies to fill in
        trial_value, trial_grad = np.array(trial_value), np.array(trial_grad)
        length, pending = np.ones(rows.size), np.flatnonzero(~accepted)
    for _ in range(0 if full else 39):
        if pending.size == 0:
            break
        length[pending] *= 0.5
        points = _clip(start[pending] + length[pending, None] * step[pending], low, high)
        values, grads = evaluate_rows(points, rows[pending])
        moved = points - start[pending]
        ok = _sufficient_decrease(moved, values, start_value[pending], start_grad[pending])
        good = pending[ok]
        trial[good], trial_value[good], trial_grad[good] = points[ok], values[ok], grads[ok]
        moves[good] = moved[ok]
        accepted[good] = True
        pending = pending[~ok]
    if not full:
        _count_stalls(rows, accepted, length, state, active)
    elif state.stalling:
        state.stalls[rows] = 0
    if not full and not _all(accepted):
        failed = ~accepted
        active[rows[failed & state.exact[at]]] = False
        state.stale[rows[failed]] = True
        rows, free, length = rows[accepted], free[accepted], length[accepted]
        trial, trial_value, trial_grad = trial[accepted], trial_value[accepted], trial_grad[accepted]
        start, start_grad, moves = start[accepted], start_grad[accepted], moves[accepted]
        if rows.size == 0:
            return
        at = _at(rows, n)
    # The steps before the fits move (``start`` may be a view of ``x``).
    if _all(free):  # no parameter held at a bound (the common case): nothing to mask
        s_step, y_step = moves, trial_grad - start_grad
    else:
        s_step, y_step = np.where(free, moves, 0.0), np.where(free, trial_grad - start_grad, 0.0)
    x[at], value[at], grad[at] = trial, trial_value, trial_grad
    curvature = _dots(s_step, y_step)
    norms = np.sqrt(_dots(s_step, s_step) * _dots(y_step, y_step))
    update = curvature > 1e-12 * norms
    if length is not None:
        update &= length == 1.0
    if not _all(update):
        state.stale[rows[~update]] = True
        rows, s_step, y_step, curvature = rows[update], s_step[update], y_step[update], curvature[update]
        if rows.size == 0:
            return
        at = _at(rows, n)
    # H <- H - rho (s h^T + h s^T) + (rho^2 y.h + rho) s s^T with h = H y, as U C U^T for U = [s h]:
    # one (N, P, P) temporary instead of six (3x faster for 200 fits of 126 parameters).
    rho = 1.0 / curvature
    h_y = _products(state.inverse[at], y_step)
    if rows.size == 1:  # a batch of one: the same product on (P, 2) matrices, no (1, P, P) temporaries
        basis = np.empty((s_step.shape[1], 2))
        basis[:, 0], basis[:, 1] = s_step[0], h_y[0]
        r = float(rho[0])
        coefficients = np.array([[r * r * float(y_step[0] @ h_y[0]) + r, -r], [-r, 0.0]])
        state.inverse[rows[0]] += basis @ coefficients @ basis.T
        state.exact[rows[0]] = False
        return
    coefficients = np.zeros((rows.size, 2, 2))
    coefficients[:, 0, 0] = rho**2 * _dots(y_step, h_y) + rho
    coefficients[:, 0, 1] = coefficients[:, 1, 0] = -rho
    basis = np.empty((rows.size, s_step.shape[1], 2))
    basis[:, :, 0], basis[:, :, 1] = s_step, h_y
    state.inverse[at] += basis @ coefficients @ np.swapaxes(basis, 1, 2)
    state.exact[at] = False
