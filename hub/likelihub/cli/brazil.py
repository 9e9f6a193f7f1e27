"""The signal strengths of the Brazil plots of ``likelihub cls|limit --plot``: from mu = 0 (or the
POI's lower bound, where it lies above 0), as the API's examples draw them, evenly spaced, with
extra points near the limits, where the curves cross CLs = 1 - cl and the eye looks.

:func:`limit_grid` adds them around limits already known (``likelihub limit``); :func:`refined_scan`
finds them first on the even grid (``likelihub cls``), then scans only the extra points, and
returns one scan of both.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence

import numpy as np

from likelihub.results import CLsScanResult

__all__ = ["even_grid", "limit_grid", "crossings", "refined_scan", "POINTS", "EXTRA"]

#: Points of the even grid from 0 to the top.
POINTS = 31
#: Extra points around each limit, at these fractions of the even grid's step.
EXTRA = (-0.5, -0.25, -0.1, 0.0, 0.1, 0.25, 0.5)


def even_grid(top: float, points: int = POINTS, start: float = 0.0) -> list[float]:
    """``points`` signal strengths from ``start`` (0, or the POI's lower bound where it is above)
    to ``top`` (``start`` + 1 where ``top`` is not above ``start``)."""
    top = top if math.isfinite(top) and top > start else start + 1.0
    return np.linspace(start, top, points).tolist()


def _extra(limits: Iterable[float | None], start: float, top: float, step: float) -> list[float]:
    extra = []
    for limit in limits:
        if limit is None or not math.isfinite(limit) or not start < limit <= top:
            continue
        extra += [limit + f * step for f in EXTRA if start < limit + f * step <= top]
    return extra


def _merged(grid: Sequence[float], extra: Sequence[float], step: float) -> list[float]:
    """``grid`` with the points of ``extra`` not within step / 100 of another point, sorted."""
    points = sorted(grid)
    for mu in sorted(extra):
        if min(abs(mu - p) for p in points) > step / 100:
            points.append(mu)
            points.sort()
    return points


def limit_grid(top: float, limits: Iterable[float | None], points: int = POINTS,
               start: float = 0.0) -> list[float]:
    """The even grid from ``start`` to ``top``, with points around each of ``limits`` (within it)."""
    grid = even_grid(top, points, start)
    step = grid[1] - grid[0]
    return _merged(grid, _extra(limits, grid[0], grid[-1], step), step)


def crossings(scan: CLsScanResult, alpha: float) -> list[float]:
    """Where each curve of ``scan`` (observed, expected quantiles) first falls through ``alpha``,
    interpolated linearly between the scan's points."""
    mus = np.asarray(scan.mu, dtype=float)
    curves = [] if scan.cls_obs is None else [np.asarray(scan.cls_obs, dtype=float)]
    if scan.cls_exp is not None:
        curves += list(np.asarray(scan.cls_exp, dtype=float).T)
    found = []
    for cls in curves:
        below = np.flatnonzero((cls[:-1] > alpha) & (cls[1:] <= alpha))
        if below.size:
            i = int(below[0])
            found.append(float(mus[i] + (cls[i] - alpha) / (cls[i] - cls[i + 1]) * (mus[i + 1] - mus[i])))
    return found


def _join(first: CLsScanResult, second: CLsScanResult) -> CLsScanResult:
    order = np.argsort(np.concatenate([first.mu, second.mu]), kind="stable")

    def joined(a, b):
        if a is None:
            return None
        values = list(a) + list(b)
        return [values[i] for i in order]

    return CLsScanResult(mu=joined(first.mu, second.mu), cls_obs=joined(first.cls_obs, second.cls_obs),
                         cls_exp=joined(first.cls_exp, second.cls_exp), test_statistic=first.test_statistic,
                         calculator=first.calculator, band=first.band)


def refined_scan(scan: Callable[[list[float]], CLsScanResult], top: float, alpha: float,
                 points: int = POINTS, start: float = 0.0) -> CLsScanResult:
    """``scan`` of the even grid from ``start`` to ``top``, then of extra points around the
    crossings of ``alpha`` it shows: one scan of both, sorted by mu."""
    grid = even_grid(top, points, start)
    coarse = scan(grid)
    step = grid[1] - grid[0]
    extra = [mu for mu in _merged(grid, _extra(crossings(coarse, alpha), grid[0], grid[-1], step), step)
             if mu not in grid]
    return coarse if not extra else _join(coarse, scan(extra))
