"""Projected Newton minimisation with an exact Hessian, for backends that have one.

Newton steps on the parameters not held at a bound, with a Levenberg shift where the Hessian
is not positive definite, and a backtracking line search along the projected path. It converges
in a handful of iterations where MIGRAD must first learn the curvature; :func:`likelihub.fits.engine.fit`
tries it first for backends with an analytic Hessian and judges its result like any other (the
estimated distance to the minimum and the gradient probe), falling back to MIGRAD otherwise.

One algorithm, written twice: :func:`newton_minimise` for one fit and :func:`newton_batch` for
many in lock-step (toys, the models of a scan). Both take the same steps from the same start, so
that where a likelihood has several minima (ATLAS 1Lbb C1N2_Wh_hbb_650_0 at mu = 1: two, 0.0063
apart in -log L) a model's fits reach the same one alone, in a scan and in a batch of toys.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.linalg.lapack import dpotrf, dtrtri

__all__ = ["levenberg_factor", "newton_minimise", "newton_batch", "NewtonFits",
           "BATCHED_LINALG_MAX_PARAMETERS"]


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


def _held_at_bounds(x, grad, low, high, tolerance):
    """Parameters a gradient pushes against a bound they (nearly) sit on: moving them onto it
    would gain less than ``tolerance`` (the criterion of :func:`~.minimum_checks.projected_gradient`)."""
    with np.errstate(invalid="ignore"):  # 0 * inf where a bound is infinite: not held
        at_low = (grad > 0) & (grad * (x - low) <= tolerance)
        at_high = (grad < 0) & (-grad * (high - x) <= tolerance)
    return at_low | at_high


@dataclass
class NewtonFits:
    """Where N projected-Newton fits stopped: (N, P) ``x``, (N,) ``value`` (-log L), (N, P) ``grad``,
    ``converged`` (the EDM with the exact, positive definite Hessian at most ``edm_max``, or every
    parameter held at a bound), ``edm`` (inf where not converged) and ``evaluations`` (of -log L
    and its gradient, per fit)."""

    x: np.ndarray
    value: np.ndarray
    grad: np.ndarray
    converged: np.ndarray
    edm: np.ndarray
    evaluations: np.ndarray


#: Up to this many free parameters, the Cholesky factors and inverses of a batch are computed by
#: numpy's batched routines (one call for all fits); above it, fit by fit through LAPACK directly
#: (a batched Cholesky fails as a whole as soon as one Hessian is not positive definite).
BATCHED_LINALG_MAX_PARAMETERS = 32


def _inverses(hessians: np.ndarray, free: np.ndarray):
    """Inverse of each (Levenberg-shifted) H[free, free], embedded in a zero (P, P) matrix; the shifts
    (inf where no shift makes H positive definite, with a zero inverse)."""
    n, p = free.shape
    inverse = np.zeros((n, p, p))
    shift = np.zeros(n)
    if p <= BATCHED_LINALG_MAX_PARAMETERS and free.all():
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
                 edm_max: float, max_iterations: int = 100, deadline=None) -> NewtonFits:
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
    """
    x = np.clip(np.array(x0, dtype=float), low, high)
    n, p = x.shape
    state = _State(n, p)

    def evaluate_rows(points, rows):
        state.evaluations[rows] += 1
        value, grad = evaluate(points, rows)
        value = np.asarray(value, dtype=float)
        return np.where(np.isfinite(value), value, np.inf), np.asarray(grad, dtype=float)

    value, grad = evaluate_rows(x, np.arange(n))
    active = np.isfinite(value)
    for _ in range(max_iterations):
        rows = np.flatnonzero(active)
        if rows.size == 0:
            break
        if deadline is not None:
            deadline.check()
        free = ~_held_at_bounds(x[rows], grad[rows], low, high, 0.1 * edm_max)
        held = ~free.any(axis=1)  # every parameter held at a bound: a minimum on the corner
        state.converged[rows[held]], state.edm[rows[held]], active[rows[held]] = True, 0.0, False
        rows, free = rows[~held], free[~held]
        fresh = state.stale[rows] | (free != state.inverse_free[rows]).any(axis=1)
        if fresh.any():
            renew = rows[fresh]
            inverses, shift = _inverses(hessian(x[renew], renew), free[fresh])
            state.inverse[renew], state.inverse_free[renew] = inverses, free[fresh]
            state.exact[renew], state.stale[renew] = shift == 0.0, False
            unusable = renew[~np.isfinite(shift)]
            active[unusable] = False  # no Newton step there: given up
            keep = active[rows]
            rows, free = rows[keep], free[keep]
        g = np.where(free, grad[rows], 0.0)
        step = -np.matmul(state.rows_of_inverse(rows), g[:, :, None])[:, :, 0]
        distance = 0.5 * np.einsum("ni,ni->n", -g, step)
        small = distance <= edm_max
        state.stale[rows[small & ~state.exact[rows]]] = True  # confirm with the exact Hessian
        done = small & state.exact[rows]
        _finish(rows[done], step[done], distance[done], x, value, grad, low, high, edm_max,
                evaluate_rows, state)
        active[rows[done]] = False
        search = ~small
        _line_search(rows[search], step[search], free[search], x, value, grad, low, high,
                     evaluate_rows, state, active)
    return NewtonFits(x, value, grad, state.converged, state.edm, state.evaluations)


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

    def rows_of_inverse(self, rows: np.ndarray) -> np.ndarray:
        """The inverse Hessians of ``rows`` (sorted, unique): the array itself (no copy of N P^2
        numbers) where they are all the fits, as in the first iterations."""
        return self.inverse if rows.size == len(self.inverse) else self.inverse[rows]


def _finish(rows, step, distance, x, value, grad, low, high, edm_max, evaluate_rows, state) -> None:
    """Converged fits: their last Newton step where it lowers -log L (it costs one evaluation and
    squares the remaining error, where that is not negligible already)."""
    state.converged[rows], state.edm[rows] = True, distance
    needed = distance > 1e-4 * edm_max
    rows, step = rows[needed], step[needed]
    if rows.size == 0:
        return
    trial = np.clip(x[rows] + step, low, high)
    trial_value, trial_grad = evaluate_rows(trial, rows)
    better = trial_value <= value[rows]
    rows = rows[better]
    x[rows], value[rows], grad[rows] = trial[better], trial_value[better], trial_grad[better]


def _line_search(rows, step, free, x, value, grad, low, high, evaluate_rows, state, active) -> None:
    """Backtracking along the projected Newton steps (halving up to 40 times, Armijo's condition),
    then the BFGS update of each inverse Hessian, or a fresh Hessian next time where the step had
    to be shortened or the curvature is not positive; a fit whose exact Newton step fails is given
    up, one whose updated inverse misled the step gets an exact Hessian first."""
    if rows.size == 0:
        return
    start, start_value, start_grad = x[rows], value[rows], grad[rows]
    trial = np.empty_like(start)
    trial_value = np.full(rows.size, np.inf)
    trial_grad = np.zeros_like(start_grad)
    length = np.ones(rows.size)
    accepted = np.zeros(rows.size, bool)
    pending = np.arange(rows.size)
    for _ in range(40):
        points = np.clip(start[pending] + length[pending, None] * step[pending], low, high)
        values, grads = evaluate_rows(points, rows[pending])
        decrease = np.einsum("ni,ni->n", start_grad[pending], points - start[pending])
        ok = values <= start_value[pending] + 1e-4 * np.minimum(decrease, 0.0) + 1e-15  # inf: not ok
        good = pending[ok]
        trial[good], trial_value[good], trial_grad[good] = points[ok], values[ok], grads[ok]
        accepted[good] = True
        pending = pending[~ok]
        if pending.size == 0:
            break
        length[pending] *= 0.5
    failed = ~accepted
    active[rows[failed & state.exact[rows]]] = False
    state.stale[rows[failed]] = True
    rows, free, length = rows[accepted], free[accepted], length[accepted]
    trial, trial_value, trial_grad = trial[accepted], trial_value[accepted], trial_grad[accepted]
    s_step = np.where(free, trial - start[accepted], 0.0)
    y_step = np.where(free, trial_grad - start_grad[accepted], 0.0)
    x[rows], value[rows], grad[rows] = trial, trial_value, trial_grad
    curvature = np.einsum("ni,ni->n", s_step, y_step)
    norms = np.linalg.norm(s_step, axis=1) * np.linalg.norm(y_step, axis=1)
    update = (length == 1.0) & (curvature > 1e-12 * norms)
    state.stale[rows[~update]] = True
    rows, s_step, y_step, curvature = rows[update], s_step[update], y_step[update], curvature[update]
    if rows.size == 0:
        return
    # H <- H - rho (s h^T + h s^T) + (rho^2 y.h + rho) s s^T with h = H y, as U C U^T for U = [s h]:
    # one (N, P, P) temporary instead of six (3x faster for 200 fits of 126 parameters).
    rho = 1.0 / curvature
    inverse = state.rows_of_inverse(rows)
    h_y = np.matmul(inverse, y_step[:, :, None])[:, :, 0]
    coefficients = np.zeros((rows.size, 2, 2))
    coefficients[:, 0, 0] = rho**2 * np.einsum("ni,ni->n", y_step, h_y) + rho
    coefficients[:, 0, 1] = coefficients[:, 1, 0] = -rho
    basis = np.stack([s_step, h_y], axis=2)
    inverse += basis @ coefficients @ np.swapaxes(basis, 1, 2)
    if inverse is not state.inverse:
        state.inverse[rows] = inverse
    state.exact[rows] = False


def newton_minimise(objective, x0: np.ndarray, bounds: np.ndarray, edm_max: float,
                    max_iterations: int = 100) -> np.ndarray:
    """Minimise ``objective`` (with ``value_and_grad`` and ``hessian``) from ``x0`` within ``bounds``.

    Steps use the inverse of the exact Hessian (Levenberg-shifted where needed), kept up to date
    between exact Hessians by BFGS updates from the gradients, which cost a fraction of a Hessian;
    the Hessian is computed anew where the set of parameters held at bounds changes, where the
    line search had to shorten a step, and always to confirm convergence. Returns the last point
    reached; the caller judges whether it is a minimum.

    This is :func:`newton_batch` written for one fit (a batch of one costs ~1 ms more per fit in
    numpy's per-call overhead): the same steps, line search, updates and convergence test, so that a
    fit alone and the same fit in a lock-step batch take the same path from the same start.
    """
    low, high = bounds[:, 0], bounds[:, 1]
    x = np.clip(np.asarray(x0, dtype=float), low, high)
    value, grad = objective.value_and_grad(x)
    inverse, inverse_free, exact = None, None, False
    for _ in range(max_iterations):
        if not np.isfinite(value):
            break
        free = ~_held_at_bounds(x, grad, low, high, 0.1 * edm_max)
        if not free.any():
            break
        if inverse is None or not np.array_equal(free, inverse_free):
            try:
                factor, shift = levenberg_factor(objective.hessian(x)[np.ix_(free, free)])
            except np.linalg.LinAlgError:
                break
            inverse = _inverse_from_cholesky(factor)
            inverse_free, exact = free, shift == 0.0
        step = np.zeros_like(x)
        step[free] = -inverse @ grad[free]
        edm = 0.5 * float(-grad[free] @ step[free])
        if edm <= edm_max:
            if not exact:
                inverse = None  # confirm with the exact Hessian here
                continue
            if edm > 1e-4 * edm_max:
                # The last Newton step costs one evaluation and squares the remaining error.
                trial = np.clip(x + step, low, high)
                trial_value, _ = objective.value_and_grad(trial)
                if np.isfinite(trial_value) and trial_value <= value:
                    x = trial
            break
        length, accepted = 1.0, False
        for _ in range(40):
            trial = np.clip(x + length * step, low, high)
            trial_value, trial_grad = objective.value_and_grad(trial)
            decrease = float(grad @ (trial - x))
            if np.isfinite(trial_value) and trial_value <= value + 1e-4 * min(decrease, 0.0) + 1e-15:
                accepted = True
                break
            length *= 0.5
        if not accepted:
            if exact:
                break
            inverse = None  # the updated inverse misled the step: try the exact Hessian first
            continue
        s_step, y_step = (trial - x)[free], (trial_grad - grad)[free]
        x, value, grad = trial, trial_value, trial_grad
        curvature = float(s_step @ y_step)
        if length < 1.0 or not curvature > 1e-12 * np.linalg.norm(s_step) * np.linalg.norm(y_step):
            inverse = None  # the quadratic model was poor here: a fresh Hessian next time
            continue
        rho = 1.0 / curvature
        h_y = inverse @ y_step
        inverse = (inverse - rho * (np.outer(s_step, h_y) + np.outer(h_y, s_step))
                   + (rho**2 * float(y_step @ h_y) + rho) * np.outer(s_step, s_step))
        exact = False
    return x
