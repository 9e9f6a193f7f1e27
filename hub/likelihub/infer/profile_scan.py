"""Profile-likelihood scans of one or two parameters: a conditional fit at every grid point.

At each point of a grid over one or two parameters (any free parameters, not only the POI), the
scanned parameters are held at the point's values and all others are fitted (profiled);
the scan reports -2 Delta ln L = 2 [NLL(point) - NLL(best fit)], with the global best fit (the
free fit) as reference. This is CMS Combine's ``MultiDimFit --algo grid`` and the profile
likelihood plots of ATLAS; intervals of one parameter are
:meth:`likelihub.StatisticalModel.profile_interval` (MINOS-like), 2D contours come from
:meth:`likelihub.ProfileScanResult.contours`.

Order of the fits (warm starts). Each fit starts where a fit of a neighbouring grid point ended:
the point nearest the best fit starts from the best fit; the line through it (along the first
axis in 1D, the second in 2D) proceeds outwards one step to each side at a time, each point from
its inner neighbour; then (2D) the rows of the first axis proceed outwards from that line, two rows
(one each side) at a time, each point started from the same column of the row inside it. Every
start is thus an adjacent grid point, as in the snake order of a sequential scan, and the scan
never wanders from the region already explored: points far from the best fit start from
neighbours that have already moved towards them.

Lock-step batches. Where the backend offers batch derivatives (``value_and_grad_batch``,
``hessian_batch``: HistFactory, Combine), each step above (up to two points on the first line,
then up to twice the length of a row) is one batch of :func:`likelihub.fits.batch.lockstep_newton`
fits of one model and one data set, the scanned parameters held by the fits' fixed mask at each
row's own values; a fit that does not converge in lock-step is redone alone by
:func:`likelihub.fits.engine.fit` (Newton, MIGRAD and its retries) from where it stopped. Other
backends fit the points one by one, in the same order, from the same starts.

The global minimum. A conditional fit below the free fit (2 Delta NLL < -1e-6) shows that the
free fit missed the global minimum: the free fit is redone from that point and, where it finds a
lower minimum, the scan is redone from it (once); the result says so (``best_fit_from``).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from likelihub import arguments as check
from likelihub.backend.capabilities import capabilities
from likelihub.backend.views import ReconfiguredBackend
from likelihub.errors import InvalidArgumentError
from likelihub.fits.batch import lockstep_newton, refit_unconverged
from likelihub.fits.budget import deadline_from
from likelihub.fits.engine import DEFAULT_EDM_MAX, fit
from likelihub.infer.intervals import TOLERANCE
from likelihub.profile_results import ProfileScanResult
from likelihub.progress import progress_bar

__all__ = ["ScanAxis", "scan_axes", "profile_scan", "TOLERANCE"]
_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ScanAxis:
    """One scanned parameter: its name, its index in the parameter vector and its grid values."""

    name: str
    index: int
    values: np.ndarray


def _grid_values(spec, *, argument: str) -> np.ndarray:
    """The values of one parameter's grid: a tuple (low, high, n) or a sequence of values."""
    if isinstance(spec, tuple) and len(spec) == 3 and isinstance(spec[2], (int, np.integer)) \
            and not isinstance(spec[2], (bool, np.bool_)):
        low = check.real(spec[0], argument=f"{argument} low")
        high = check.real(spec[1], argument=f"{argument} high")
        n = check.whole_number(spec[2], argument=f"{argument} n", minimum=2)
        if not low < high:
            raise InvalidArgumentError(f"(low, high, n) needs low < high, got low {low:g}, high {high:g}",
                                       argument=argument)
        return np.linspace(low, high, n)
    values = check.numbers_array(spec, argument=argument)
    if values.ndim != 1 or values.size < 2:
        raise InvalidArgumentError(f"must be (low, high, n) or at least two values in a 1-D sequence, "
                                   f"got shape {values.shape}", argument=argument)
    if not np.all(np.isfinite(values)):
        raise InvalidArgumentError("has values that are not finite (NaN or inf)", argument=argument)
    if not np.all(np.diff(values) > 0):
        raise InvalidArgumentError("must be strictly increasing", argument=argument)
    return values


def scan_axes(grid, *, config, argument: str = "grid") -> list[ScanAxis]:
    """The scanned parameters of ``grid``, ``{name: (low, high, n) or values}`` with one or two
    entries, checked: free parameters of ``config``, distinct, every value finite, strictly
    increasing and within the parameter's bounds. A tuple of three whose last entry is an integer
    is (low, high, n), ``numpy.linspace(low, high, n)``; any other sequence lists the values."""
    if not isinstance(grid, Mapping):
        raise InvalidArgumentError(f"must be a mapping {{parameter name: (low, high, n) or values}}, "
                                   f"got {type(grid).__name__}", argument=argument)
    if len(grid) not in (1, 2):
        raise InvalidArgumentError(f"must name one or two parameters, got {len(grid)}", argument=argument)
    axes = []
    for name, spec in grid.items():
        if not isinstance(name, str):
            raise InvalidArgumentError(f"keys must be parameter names, got {name!r}", argument=argument)
        name, index = check.free_parameter(name, config=config, argument=argument)
        values = _grid_values(spec, argument=f"{argument}[{name}]")
        low, high = config.bounds[index]
        if values[0] < low or values[-1] > high:
            raise InvalidArgumentError(f"values from {values[0]:g} to {values[-1]:g} leave the bounds "
                                       f"[{low:g}, {high:g}] of {name!r}", argument=f"{argument}[{name}]")
        axes.append(ScanAxis(name, index, values))
    return axes


def _held_fixed(backend, indices: Sequence[int]) -> ReconfiguredBackend:
    """``backend`` with the scanned parameters fixed by its config, so that
    :func:`~likelihub.fits.batch.lockstep_newton` keeps each row's own values of them (its
    ``fixed_values`` would set one value for all rows)."""
    fixed = np.array(backend.config.fixed, dtype=bool)
    fixed[list(indices)] = True
    return ReconfiguredBackend(backend, backend.config.replace(fixed=fixed))


def _waves(shape: tuple[int, ...], centre: tuple[int, ...]) -> list[list[tuple[tuple, tuple | None]]]:
    """The fits in order, as batches of (grid point, grid point it starts from; None: the best fit);
    see the module docstring."""
    line_axis = len(shape) - 1
    n, c = shape[line_axis], centre[line_axis]

    def on_line(k):
        point = list(centre)
        point[line_axis] = k
        return tuple(point)

    waves = [[(on_line(c), None)]]
    for step in range(1, max(c, n - 1 - c) + 1):
        waves.append([(on_line(k), on_line(k - sign)) for sign in (-1, 1)
                      for k in (c + sign * step,) if 0 <= k < n])
    if len(shape) == 2:
        n_rows, c = shape[0], centre[0]
        for step in range(1, max(c, n_rows - 1 - c) + 1):
            waves.append([((i, j), (i - sign, j)) for sign in (-1, 1) for i in (c + sign * step,)
                          if 0 <= i < n_rows for j in range(shape[1])])
    return waves


def _start(point: tuple, origin: tuple | None, best, values: np.ndarray, nll: np.ndarray,
           bounds: np.ndarray) -> np.ndarray:
    """Where the fit at ``point`` starts: at its neighbour ``origin``'s minimum, extrapolated
    linearly from the point beyond ``origin`` where that one is known too (the grid is
    evenly spaced or nearly so: the profiled parameters move smoothly), within the bounds;
    the best fit's values for the first point."""
    if origin is None or not np.isfinite(nll[origin]):
        return np.array(best.values, dtype=float)
    beyond = tuple(2 * o - p for o, p in zip(origin, point, strict=True))
    if min(beyond) < 0 or any(b >= n for b, n in zip(beyond, nll.shape, strict=True)) \
            or not np.isfinite(nll[beyond]):
        return np.array(values[origin], dtype=float)
    return np.clip(2.0 * values[origin] - values[beyond], bounds[:, 0], bounds[:, 1])


def _fit_points(backend, data, axes, best, options, deadline, bar):
    """The conditional fits at every grid point: (values, nll, converged, edm, methods); ``bar``
    advanced by the points of each batch."""
    shape = tuple(len(a.values) for a in axes)
    n_par = backend.config.n_parameters
    values = np.full((*shape, n_par), np.nan)
    nll, edm = np.full(shape, np.nan), np.full(shape, np.inf)
    converged, methods = np.zeros(shape, bool), np.full(shape, "", dtype=object)
    indices = [a.index for a in axes]
    batch = capabilities(backend).batch_derivatives
    held = _held_fixed(backend, indices) if batch else None
    edm_max = float(options.get("edm_max", DEFAULT_EDM_MAX))
    bounds = np.asarray(backend.config.bounds, dtype=float)
    centre = tuple(int(np.argmin(np.abs(a.values - best.values[a.index]))) for a in axes)
    for wave in _waves(shape, centre):
        starts = np.array([_start(point, origin, best, values, nll, bounds) for point, origin in wave])
        fixed = np.array([[a.values[k] for a, k in zip(axes, point, strict=True)] for point, _ in wave])
        starts[:, indices] = fixed

        def conditional(row: int, init: np.ndarray, fixed=fixed):
            where = ", ".join(f"{a.name} = {v:g}" for a, v in zip(axes, fixed[row], strict=True))
            return fit(backend, data, fixed_values=dict(zip(indices, fixed[row], strict=True)), init=init,
                       raise_on_failure=False, deadline=deadline,
                       description=f"conditional fit of the profile scan at {where}", **options)

        if batch:  # in lock-step, the fits left unconverged redone alone
            fits = refit_unconverged(lockstep_newton(held, np.broadcast_to(data, (len(wave), data.size)),
                                                     init=starts, edm_max=edm_max, deadline=deadline),
                                     starts, conditional)
            results = [fits[row] for row in range(len(wave))]
        else:
            results = [conditional(row, starts[row]) for row in range(len(wave))]
        for (point, _), result in zip(wave, results, strict=True):
            values[point], nll[point], edm[point] = result.values, result.nll, result.edm
            converged[point], methods[point] = result.converged, result.method
        bar.update(len(wave))
    return values, nll, converged, edm, methods


def _refit_from_below(backend, data, best, points, options, deadline):
    """The free fit redone from the lowest grid point where that lies below ``best`` (by more than
    :data:`TOLERANCE` in 2 Delta NLL) and the refit is lower: (refit, grid point), else (None, None)."""
    values, nll = points[0], points[1]
    if not np.isfinite(nll).any():
        return None, None
    lowest = np.unravel_index(np.nanargmin(nll), nll.shape)
    if not 2.0 * (nll[lowest] - best.nll) < -TOLERANCE:
        return None, None
    refit = fit(backend, data, init=values[lowest], uncertainties=True, deadline=deadline,
                description="free fit of the profile scan, from a grid point below it", **options)
    return (refit, lowest) if refit.nll < best.nll else (None, None)


def _lower(first, second):
    """Per grid point, the pass (values, nll, converged, edm, methods) with the lower -log L."""
    take = np.nan_to_num(second[1], nan=np.inf) < np.nan_to_num(first[1], nan=np.inf)
    return tuple(np.where(take[..., None] if a.ndim > take.ndim else take, b, a)
                 for a, b in zip(first, second, strict=True))


def profile_scan(backend, data: np.ndarray, axes: Sequence[ScanAxis], *,
                 fit_options: Mapping | None = None, progress=None) -> ProfileScanResult:
    """The profile-likelihood scan of ``backend`` on ``data`` over the grid of ``axes``.

    Parameters
    ----------
    backend
        Any backend (:mod:`likelihub.backend.contract`); batch derivatives make lock-step fits.
    data
        The data set (main then auxiliary).
    axes
        One or two :class:`ScanAxis` (:func:`scan_axes`).
    fit_options
        Keywords of every fit (:func:`likelihub.fits.engine.fit`); ``time_limit`` bounds the
        whole scan (:mod:`likelihub.fits.budget`).
    progress
        A progress bar of the grid points fitted (:mod:`likelihub.progress`: None, the default, on
        a terminal; True; False; or the caller's bar); a second pass from a better free fit adds
        its points to the bar's total.

    Returns
    -------
    likelihub.ProfileScanResult
    """
    options = dict(fit_options or {})
    deadline = deadline_from(options)
    options.pop("time_limit", None)
    data = np.asarray(data, dtype=float)
    best = fit(backend, data, uncertainties=True, deadline=deadline,
               description="free fit of the profile scan", **options)
    best_from = None
    size = int(np.prod([len(a.values) for a in axes]))
    _log.info("profile scan of %s: %d grid points", ", ".join(a.name for a in axes), size)
    with progress_bar(progress, total=size, unit="fit", desc="profile scan") as bar:
        points = _fit_points(backend, data, axes, best, options, deadline, bar)
        for rescan in (True, False):
            refit, lowest = _refit_from_below(backend, data, best, points, options, deadline)
            if refit is None:
                break
            best, best_from = refit, tuple(float(a.values[k]) for a, k in zip(axes, lowest, strict=True))
            if rescan:  # warm starts from the better free fit; each point keeps its lower minimum
                _log.info("profile scan: a grid point lies below the free fit; scanning again from "
                          "the better minimum at %s", best_from)
                bar.total += size
                bar.refresh()
                points = _lower(points, _fit_points(backend, data, axes, best, options, deadline, bar))
    values, nll, converged, edm, methods = points
    return ProfileScanResult(
        parameters=tuple(a.name for a in axes), grid=tuple(np.array(a.values) for a in axes),
        twice_delta_nll=2.0 * (nll - best.nll), nll=nll, converged=converged, edm=edm,
        methods=methods, values=values, parameter_names=tuple(backend.config.parameter_names),
        best_fit=best, best_fit_from=best_from)
