"""Minima on kinks of -log L: a bounded bundle-Newton fallback that verifies them.

Where -log L has a kink, its gradient jumps across a surface. Combine's likelihoods have such
kinks by definition: a morphed template bin or a bin's total that falls below 1e-9 is raised to
1e-9 (``FastTemplate::CropUnderflows``, applied by ``CMSHistFunc`` and ``CMSHistErrorPropagator``),
so a bin with no events whose expected count the nuisance parameters can drive to 0 has its minimum
in that direction on the floor's edge. A minimum may lie on the kink: the gradient vanishes on
neither side, so the estimated distance to the minimum (EDM, 1/2 g^T H^-1 g,
:mod:`likelihub.fits.minimum`) stays large however close a fit gets, and Newton's line search
stalls there. A minimum on a kink is still a minimum; :func:`kink_newton` finds it and verifies it.

The model. Gradients at points y_i near x (x itself, probes around it, earlier trial points),
each carried to x with the exact Hessian H at x, bound -log L from below where it is convex with
curvature H between them (the assumption the EDM makes of a smooth function):

    f(x + d) >= f(x) + max_i (gt_i . d - a_i) + 1/2 d^T H d,
    gt_i = g(y_i) - H s_i,  a_i = f(x) - f(y_i) + g(y_i) . s_i - 1/2 s_i^T H s_i,  s_i = y_i - x.

For a smooth function every gt_i is g(x) to second order in |s_i| and a_i vanishes to third order;
across a kink gt_i keeps the jump of the gradient. The model's minimum lies below f(x) by

    D = min over lambda in the simplex of  1/2 gt_lambda^T H^-1 gt_lambda + lambda . a,
    gt_lambda = sum_i lambda_i gt_i

(the dual of the minimisation over d, reached at d = -H^-1 gt_lambda): with x alone, D is the EDM.
Any lambda of the simplex bounds D from above, and leaving points out of the model only lowers the
model, so an approximate solution of this small quadratic programme (an active-set method) and a
pruned set of points can only make the check stricter, never accept a point that is no minimum.

The iteration is a proximal bundle method with the exact Hessian as its metric (K. C. Kiwiel,
Math. Programming 46 (1990) 105). The model of a point holds the points of earlier steps within
:data:`MODEL_RADIUS` standard errors (sqrt(s^T H s)); its step d is tried at once with its halves
(down to a tenth of the probes' distance, one batch call): the longest that lowers -log L by a
tenth of what the model predicts for it is taken (the longer ones stay in the model, their
gradients from across a kink), else all join the model (a null step: their gradients cut it where
it was wrong) and the point gets its probes: x +- h_j e_j for every free parameter (h_j =
:data:`PROBE_STEP` / sqrt(H_jj)) and one along -g, which also come before any check. A probe lower
than the model allows means distant points mislead it (the curvature differs across a kink): the
model's radius shrinks tenfold. The check uses the points within :data:`VERIFY_RADIUS` of x alone,
with the curvature t H that the Hessians at those points all have (t <= 1, the smallest
eigenvalue of H^-1/2 H_i H^-1/2; a piece that is not convex fails the check): D <= ``edm_max``,
and no probe lower than x by more than ``edm_max`` (a concave kink, a ridge, has a small D too,
but probes below it). After :data:`MAX_ITERATIONS` steps, or where the fit's budget of
evaluations ends, the iteration stops unverified.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.linalg import solve_triangular

from likelihub.fits.newton import held_at_bounds, levenberg_factor

__all__ = ["kink_newton", "KinkFit", "PROBE_STEP", "MAX_ITERATIONS"]

#: Probes lie this many standard errors (1 / sqrt(H_jj)) from the point, along each parameter.
PROBE_STEP = 1e-4

#: Steps (taken or not) of :func:`kink_newton` before it gives up.
MAX_ITERATIONS = 100

#: Null steps (failed steps whose points join the model) around one point before giving up there.
MAX_TRIALS = 16

#: The check uses the points within this many standard errors of x (sqrt(s^T H s)): the probes
#: (1e-4), not the distant points of failed steps. Where the curvature differed by up to H across a
#: kink, a point at distance r would mislead the bound by r^2 / 2 = 1e-8 at most; the curvature
#: measured at the points (t H) removes even that.
VERIFY_RADIUS = 1e-4 * np.sqrt(2.0)

#: The model of a new point uses the points within this many standard errors (sqrt(s^T H s)); a
#: probe lower than the model allows makes it 10 times smaller, down to :data:`VERIFY_RADIUS`.
MODEL_RADIUS = 1.0

#: Points of earlier steps kept in the model of a new point (the most recent).
MAX_MEMORY = 60

#: Halvings of a step at most (its points are evaluated together, in one batch call).
MAX_HALVINGS = 16


@dataclass
class KinkFit:
    """Where :func:`kink_newton` stopped: ``x``, ``value`` (-log L), ``distance`` (D, the model's
    bound on the distance to the minimum; inf where none was found), ``verified`` (D <= edm_max and
    no probe lower than x), ``iterations``."""

    x: np.ndarray
    value: float
    distance: float
    verified: bool
    iterations: int


class _Model:
    """The points of the model around ``x`` (gradients and values), in the free parameters."""

    def __init__(self, x, value, grad, hessian, free):
        self.x, self.value, self.free = x, value, free
        h = 0.5 * (hessian + hessian.T)
        (lower, _), self.shift = levenberg_factor(h)
        self.hessian = h + self.shift * np.eye(len(h))
        self.lower = np.tril(lower)
        self.points: list[tuple[np.ndarray, float, np.ndarray]] = [(x, value, grad)]

    def add(self, y, value, grad):
        """Add a point (left out where its value or gradient is not finite)."""
        if np.isfinite(value) and np.all(np.isfinite(grad)):
            self.points.append((np.asarray(y, float), float(value), np.asarray(grad, float)))

    def near(self, radius: float | None) -> list:
        """The points within ``radius`` of x in its standard errors (sqrt(s^T H s)); all for None."""
        if radius is None:
            return self.points
        f = self.free
        return self.points[:1] + [p for p in self.points[1:]
                                  if float((p[0][f] - self.x[f]) @ self.hessian @ (p[0][f] - self.x[f]))
                                  <= radius**2]

    def pieces(self, scale: float = 1.0, radius: float | None = None):
        """(gt (m, F), a (m,)): the gradients carried to x with the curvature ``scale`` H, and their
        offsets, on the free parameters."""
        f = self.free
        points = self.near(radius)
        s = np.array([y[f] - self.x[f] for y, _, _ in points])
        g = np.array([grad[f] for _, _, grad in points])
        hs = scale * (s @ self.hessian)
        carried = g - hs
        values = np.array([v for _, v, _ in points])
        offsets = self.value - values + np.einsum("ij,ij->i", g, s) - 0.5 * np.einsum("ij,ij->i", hs, s)
        # A negative offset (-log L less convex than scale H between the points): no credit for it.
        return carried, np.maximum(offsets, 0.0)

    def solve(self, scale: float = 1.0, radius: float | None = None):
        """(D, step on the free parameters): the bound of the model with curvature ``scale`` H, and
        its minimiser. Points whose carried gradient is that of a point with a smaller offset (to
        1e-12 in 1/2 |g|^2_H^-1) are left out (the probes on x's side of every kink): the
        programme has one variable per piece of -log L met, and leaving points out is safe."""
        carried, offsets = self.pieces(scale, radius)
        whitened = solve_triangular(self.lower, carried.T, lower=True, check_finite=False).T  # rows L^-1 gt
        whitened /= np.sqrt(scale)
        kept: list[int] = []
        for i in np.argsort(offsets, kind="stable"):
            if not kept or np.min(np.sum((whitened[kept] - whitened[i]) ** 2, axis=1)) > 2e-12:
                kept.append(int(i))
        whitened, offsets, carried = whitened[kept], offsets[kept], carried[kept]
        weights = _simplex_qp(whitened @ whitened.T, offsets)
        y = whitened.T @ weights  # L^-1 gt_lambda / sqrt(scale)
        distance = 0.5 * float(y @ y) + float(offsets @ weights)
        step = -solve_triangular(self.lower.T, y, lower=False, check_finite=False) / np.sqrt(scale)
        return distance, step

    def curvature_scale(self, objective, radius: float) -> float:
        """The largest t <= 1 with H(y_i) >= t H for every point of the model (Hessians asked of
        ``objective``): a curvature the model's pieces all have, on either side of a kink (the
        clipped bin's curvature is missing on one side). 0 where a piece is not convex."""
        points = np.array([y for y, _, _ in self.near(radius)[1:]])
        if not len(points):
            return 1.0
        hessians = objective.hessians(points)[:, self.free][:, :, self.free]
        if not np.all(np.isfinite(hessians)):
            return 0.0
        hessians = 0.5 * (hessians + np.swapaxes(hessians, 1, 2))
        inverse = solve_triangular(self.lower, np.eye(len(self.lower)), lower=True, check_finite=False)
        relative = inverse @ hessians @ inverse.T  # L^-1 H_i L^-T
        scale = min(1.0, float(np.linalg.eigvalsh(relative).min()))
        if scale <= 0.0:
            return 0.0
        return scale


def _simplex_qp(quadratic: np.ndarray, linear: np.ndarray, max_iterations: int = 100) -> np.ndarray:
    """Weights on the simplex minimising 1/2 w^T Q w + c . w (Q positive semi-definite): a primal
    active-set method (Lawson-Hanson's, with the constraint sum w = 1) from the best vertex. Any
    point of the simplex is a bound of the module docstring, so where the iterations stop early (a
    singular Q, the limit) the best point met is returned."""
    m = len(linear)
    best = np.zeros(m)
    best[int(np.argmin(0.5 * np.diagonal(quadratic) + linear))] = 1.0
    if m == 1:
        return best

    def value(w):
        return 0.5 * float(w @ quadratic @ w) + float(linear @ w)

    w, support = best.copy(), [int(np.argmax(best))]
    for _ in range(max_iterations):
        gradient = quadratic @ w + linear
        multiplier = float(gradient[support].mean())
        outside = np.setdiff1d(np.arange(m), support)
        if outside.size == 0 or gradient[outside].min() >= multiplier - 1e-15 * max(1.0, abs(multiplier)):
            break  # KKT: no piece outside the support lowers the value
        support.append(int(outside[np.argmin(gradient[outside])]))
        while True:  # the minimum on the support's affine hull, cut back where it leaves the simplex
            k = len(support)
            system = np.zeros((k + 1, k + 1))
            system[:k, :k] = quadratic[np.ix_(support, support)]
            system[:k, k] = system[k, :k] = 1.0
            right = np.concatenate([-linear[support], [1.0]])
            target = np.linalg.lstsq(system, right, rcond=1e-13)[0][:k]
            if np.all(target > 0):
                w = np.zeros(m)
                w[support] = target
                break
            current = w[support]
            moving = target <= 0
            ratios = current[moving] / np.maximum(current[moving] - target[moving], 1e-300)
            t = float(np.clip(ratios.min(), 0.0, 1.0))
            mixed = current + t * (target - current)
            w = np.zeros(m)
            w[support] = np.clip(mixed, 0.0, None)
            support = [j for j in support if w[j] > 1e-15]
            w /= w.sum()
        if value(w) < value(best):
            best = w.copy()
    return best if value(best) <= value(w) else w


def _probes(x, free_index, hessian_diagonal, grad, low, high):
    """Points around x: +- h_j along each free parameter, and one along -g (clipped to the bounds;
    those the bounds leave at x are dropped)."""
    steps = PROBE_STEP / np.sqrt(np.maximum(hessian_diagonal, 1e-300))
    points = []
    for j, h in zip(free_index, steps, strict=True):
        for sign in (1.0, -1.0):
            y = x.copy()
            y[j] = min(max(x[j] + sign * h, low[j]), high[j])
            if y[j] != x[j]:
                points.append(y)
    diagonal = np.maximum(hessian_diagonal, 1e-300)
    direction = np.zeros_like(x)
    direction[free_index] = -grad[free_index] / diagonal  # -g in the parameters' standard errors
    length = float(np.sqrt(direction[free_index] ** 2 @ diagonal))
    if length > 0:
        y = np.clip(x + PROBE_STEP * direction / length, low, high)
        if not np.array_equal(y, x):
            points.append(y)
    return np.array(points) if points else np.empty((0, x.size))


def _add_probes(objective, model: _Model, grad, low, high) -> float:
    """Evaluate the probes around the model's point, add them to it; the lowest value among them."""
    probes = _probes(model.x, np.flatnonzero(model.free), np.diagonal(model.hessian), grad, low, high)
    lowest = np.inf
    if len(probes):
        values, grads = objective.values_and_grads(probes)
        for y, v, g in zip(probes, values, grads, strict=True):
            if np.isfinite(v):
                model.add(y, v, g)
                lowest = min(lowest, float(v))
    return lowest


def _fractions(step: np.ndarray, hessian_diagonal: np.ndarray) -> np.ndarray:
    """Fractions 1, 1/2, 1/4, ... of the step, down to a tenth of the probes' distance (in standard
    errors): where the full step fails, its shorter versions cross the kink closer to the point."""
    length = float(np.sqrt(step**2 @ hessian_diagonal))
    count = 1 + int(np.clip(np.ceil(np.log2(max(length, 1e-300) / (0.1 * PROBE_STEP))), 0, MAX_HALVINGS))
    return 0.5 ** np.arange(count)


def kink_newton(objective, x0: np.ndarray, bounds: np.ndarray, edm_max: float,
                max_iterations: int = MAX_ITERATIONS) -> KinkFit:
    """Minimise ``objective`` (a :class:`~likelihub.fits.objective.NegativeLogLikelihood`) from
    ``x0`` with the bundle-Newton iteration of the module docstring, and verify the minimum.

    Parameters held at a bound (:func:`~likelihub.fits.newton.held_at_bounds`, the rule of the
    Newton steps) stay there; the others form the model. The objective's budget bounds the work
    (it raises :class:`~likelihub.fits.budget.BudgetExhausted`, which the caller handles).
    """
    low, high = bounds[:, 0], bounds[:, 1]
    x = np.clip(np.asarray(x0, float), low, high)
    value, grad = objective.value_and_grad(x)
    if not np.isfinite(value):
        return KinkFit(x, float(value), np.inf, False, 0)
    model, distance, memory = None, np.inf, []
    for iteration in range(1, max_iterations + 1):
        if model is None:  # a new centre: its Hessian; the points of earlier steps
            free = ~held_at_bounds(x, grad, low, high, 0.1 * edm_max)
            if not free.any():
                return KinkFit(x, value, 0.0, True, iteration)
            hessian = objective.hessian(x)[np.ix_(free, free)]
            if not (np.all(np.isfinite(grad)) and np.all(np.isfinite(hessian))):
                return KinkFit(x, value, np.inf, False, iteration)  # no model without derivatives
            try:
                model = _Model(x, value, grad, hessian, free)
            except np.linalg.LinAlgError:
                return KinkFit(x, value, np.inf, False, iteration)
            memory = memory[-MAX_MEMORY:]
            for point in memory:
                model.add(*point)
            lowest_probe, added, radius = None, 0, MODEL_RADIUS
        distance, step = model.solve(1.0, radius)
        if distance <= edm_max and lowest_probe is None:  # probes first, then the check
            lowest_probe = _add_probes(objective, model, grad, low, high)
            continue
        contradicted = lowest_probe is not None and lowest_probe < value - max(distance, edm_max)
        if contradicted and radius > VERIFY_RADIUS:
            # A probe lies lower than the model allows: distant points mislead it (the curvature
            # differs across a kink): the model keeps the points 10 times closer.
            radius = max(0.1 * radius, VERIFY_RADIUS)
            distance, step = model.solve(1.0, radius)
            continue
        if distance <= edm_max and lowest_probe >= value - edm_max:
            # The check: the points near x alone, with the curvature every piece of the model has
            # there (module docstring); where it fails, its step leads across the kinks nearby.
            scale = model.curvature_scale(objective, VERIFY_RADIUS)
            checked, step = model.solve(max(scale, 1e-3), VERIFY_RADIUS)
            if scale > 0.0 and checked <= edm_max:
                return KinkFit(x, value, checked, True, iteration)
            distance = checked
        fractions = _fractions(step, np.diagonal(model.hessian))
        trials = np.repeat(x[None, :], len(fractions), axis=0)
        trials[:, model.free] = np.clip(x[model.free] + fractions[:, None] * step, low[model.free],
                                        high[model.free])
        values, grads = objective.values_and_grads(trials)
        finite = np.isfinite(values)
        # The longest step that gains a tenth of what the model predicts for it (the model is convex:
        # a fraction t of the step gains at least t D).
        taken = np.flatnonzero(finite & (values < value) & (value - values >= 0.1 * fractions * distance))
        if taken.size:  # a serious step; the longer steps' points stay in the model
            k = int(taken[0])
            memory += [(trials[i], values[i], grads[i]) for i in range(k) if finite[i]]
            x, value, grad, model = trials[k], float(values[k]), grads[k], None
        elif added < MAX_TRIALS:  # a null step: the model learns the gradients where it was wrong
            for i in np.flatnonzero(finite):
                model.add(trials[i], values[i], grads[i])
                memory.append((trials[i], values[i], grads[i]))
            if lowest_probe is None:
                lowest_probe = _add_probes(objective, model, grad, low, high)
            added += 1
        elif lowest_probe is not None and lowest_probe < value - edm_max:
            best = int(np.argmin([v for _, v, _ in model.points]))  # a probe lies lower: move there
            y, v, g = model.points[best]
            x, value, grad, model = y.copy(), v, g, None
        else:
            break
    return KinkFit(x, value, distance, False, max_iterations)
