"""Exclusion contours from scattered signal points, smooth and closed: the numerics (no matplotlib).

    from likelihub.contour_interpolation import exclusion_lines
    lines = exclusion_lines(m1, m2, cls_obs, cls_exp)      # CLs at each (m1, m2) signal point
    lines.observed, lines.expected                           # lists of (k, 2) polylines
    lines.band                                               # the expected band on a regular grid

The method, that of the ATLAS SUSY contour tool (HistFitter's ``harvestToContours.py``), in steps:

1. **Significance.** Each CLs becomes a one-sided significance ``Z = Phi^-1(1 - CLs)``
   (:func:`significance`), clipped to +-5 (HistFitter's ``sigmax``); CLs = 0.05 is Z = 1.645.
   Z varies about linearly with the signal yield where log CLs varies quadratically and CLs
   exponentially, so it is the field that interpolates best.
2. **Scaled coordinates.** Each axis is mapped onto [0, 1] by its range over the points, so
   distances weigh both masses alike (1Lbb: m1 spans 850 GeV, m2 400 GeV).
3. **Interpolation.** ``method="thin_plate"`` (default): a thin-plate spline with a linear
   polynomial (:class:`scipy.interpolate.RBFInterpolator`, ``kernel="thin_plate_spline"``),
   ``smoothing`` :data:`DEFAULT_SMOOTHING`: a smoothing spline, which does not bend through every
   point's statistical scatter (the MC noise of a signal sample, a few tenths of a sigma in Z,
   drew a detached lobe of the 1Lbb expected contour), and reproduces a Z that is linear in the
   masses exactly. ``method="linear"``: linear on the Delaunay triangles of the scaled points
   (:class:`scipy.interpolate.LinearNDInterpolator`), no smoothing: the triangles' contours, as
   ``matplotlib.tri`` draws them.
   Either is evaluated on a regular ``resolution`` x ``resolution`` grid spanning the points.
4. **Only where the points are.** The contours are clipped to the convex hull of the points
   (:func:`clip_to_hull`, cut exactly where they cross it) and plots mask the bands outside it:
   nothing is extrapolated beyond the scanned region; a line ends where the points end. The grid
   spans the points' bounding box and is evaluated there too, so that the marching squares draw
   whole lines up to the hull instead of stopping at the ragged edge of the nodes inside it.
5. **Contours.** Marching squares (:func:`likelihub.infer.contours.contour_lines`) at the level
   Z = Phi^-1(cl): the observed line from the observed Z, the expected line and its +-1, +-2 sigma
   band from the crossing sigma of the interpolated expected Z (:func:`band_crossing_sigma`).

Each expected column (n_sigma = -2..2) is interpolated on its own, and the five values are sorted
at every node (the order statistics), so the +-1 and +-2 sigma band edges stay nested even where
the splines of two columns would cross.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from likelihub.errors import InvalidArgumentError

__all__ = ["DEFAULT_SMOOTHING", "DEFAULT_RESOLUTION", "SIGNIFICANCE_CLIP", "METHODS", "GridField",
           "ExclusionLines", "significance", "expected_crossing_sigma", "band_crossing_sigma",
           "interpolate_on_grid", "clip_to_hull", "exclusion_lines"]

#: Smoothing of the thin-plate spline (scipy's ``smoothing``: the fit solves (K + s I) w = Z, with
#: the masses scaled to [0, 1]). On the 125 points of ATLAS 1Lbb, at 1e-2 the spline differs from
#: the Z of the points within 1 sigma of the contour level by 0.15 (observed) and 0.12 (median
#: expected) sigma RMS, 0.4 at most, and the contours move by at most 17 (observed) and 26
#: (expected) GeV from those of the exact spline (0), where the points are 50 to 100 GeV apart:
#: the scatter of the points' signal samples is smoothed, not the shape of the exclusion.
#: 0 fits every point exactly.
DEFAULT_SMOOTHING = 1e-2
#: Nodes per axis of the regular grid the significance is interpolated onto.
DEFAULT_RESOLUTION = 200
#: Significances are clipped to +-5 sigma (HistFitter's ``sigmax``): CLs below 3e-7 are all
#: "excluded", and do not pull the spline with their huge |Z|.
SIGNIFICANCE_CLIP = 5.0
#: The interpolation methods of :func:`interpolate_on_grid`.
METHODS = ("thin_plate", "linear")
#: The expected band's n_sigma, in the order of the expected CLs columns.
N_SIGMA = np.arange(-2.0, 3.0)


@dataclass(frozen=True)
class GridField:
    """A field interpolated on a regular grid spanning the points: ``values[i, j]`` at
    ``(x[i], y[j])``, with a trailing axis where several fields were interpolated alike.

    ``hull`` is the points' convex hull, a closed (h + 1, 2) polygon counterclockwise; ``inside``
    marks the nodes within it. Outside, the values are extrapolated (the spline; the nearest
    point's value for ``"linear"``) only so that contours reach the hull cleanly: they are
    clipped to it (:func:`clip_to_hull`), and plots mask the rest."""

    x: np.ndarray
    y: np.ndarray
    values: np.ndarray
    hull: np.ndarray
    inside: np.ndarray


@dataclass(frozen=True)
class ExclusionLines:
    """The contours of :func:`exclusion_lines`.

    Attributes
    ----------
    observed, expected
        The observed and median expected contours, each a list of (k, 2) polylines in the
        masses' units (closed lines repeat their first vertex); empty where not computed or
        where nothing is excluded (or everything is).
    band
        The expected crossing sigma on the grid (:func:`band_crossing_sigma`; the +-1 and +-2
        sigma bands are where it lies within (-1, 1) and (-2, 2)), or None without expected CLs.
    observed_grid
        The observed significance on the grid, or None without observed CLs.
    level
        The significance of the contours, Phi^-1(cl).
    """

    observed: list[np.ndarray]
    expected: list[np.ndarray]
    band: GridField | None
    observed_grid: GridField | None
    level: float


def significance(cls, *, clip: float = SIGNIFICANCE_CLIP) -> np.ndarray:
    """The one-sided significance ``Z = Phi^-1(1 - CLs)`` of CLs values, clipped to +-``clip``
    (CLs = 0.05 is Z = 1.6449, CLs = 0.5 is Z = 0); NaN stays NaN."""
    from scipy.stats import norm

    values = np.asarray(cls, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = norm.isf(np.clip(values, 0.0, 1.0))
    return np.where(np.isnan(values), np.nan, np.clip(z, -clip, clip))


def _crossing(rows: np.ndarray, target: float, clip: float) -> np.ndarray:
    """Where each ascending row (at n_sigma = -2..2) crosses ``target``, linear between the
    nodes and extrapolated from the outer pair beyond them, clipped to +-``clip``."""
    segment = np.clip(np.sum(rows[:, 1:-1] < target, axis=1), 0, 3)
    at = np.arange(rows.shape[0])
    low, high = rows[at, segment], rows[at, segment + 1]
    with np.errstate(divide="ignore", invalid="ignore"):
        n = N_SIGMA[segment] + (target - low) / (high - low)
    flat = high == low
    n[flat] = np.where(target < low[flat], -np.inf,
                       np.where(target > low[flat], np.inf, N_SIGMA[segment[flat]]))
    return np.clip(n, -clip, clip)


def expected_crossing_sigma(cls_exp, alpha: float, clip: float = 5.0) -> np.ndarray:
    """Where each point's expected band crosses ``alpha``, in standard deviations.

    For every row of ``cls_exp`` (CLs at n_sigma = -2..2, ascending), the n at which the
    expected CLs equals alpha, interpolated linearly in log CLs (and extrapolated from the
    outer pair beyond +-2, up to +-``clip``). A point is excluded at the median expectation where
    this is positive, and lies within the +-1 sigma band of the expected contour where it is
    within (-1, 1).
    """
    band = np.log(np.clip(np.atleast_2d(np.asarray(cls_exp, dtype=float)), 1e-300, None))
    return _crossing(np.sort(band, axis=1), float(np.log(alpha)), clip)


def band_crossing_sigma(z_exp, level: float, clip: float = 5.0) -> np.ndarray:
    """The expected crossing sigma from expected significances: where Z(n) = ``level``.

    ``z_exp[..., 5]`` holds Z at n_sigma = -2..2 (descending in n, as CLs ascends); at every
    node the five are sorted (the order statistics), then crossed linearly between the nodes.
    At n = -2, -1, 0, 1, 2 this is exactly where the interpolated Z of that column equals
    ``level``: the band edges and the median are the level lines of the columns. NaN rows give NaN.
    """
    z = np.asarray(z_exp, dtype=float)
    rows = -z.reshape(-1, z.shape[-1])  # -Z ascends with n
    finite = np.all(np.isfinite(rows), axis=1)
    out = np.full(rows.shape[0], np.nan)
    out[finite] = _crossing(np.sort(rows[finite], axis=1), -float(level), clip)
    return out.reshape(z.shape[:-1])


def _scaled(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, tuple]:
    span = (np.ptp(x), np.ptp(y))
    if min(span) <= 0:
        raise InvalidArgumentError("the signal points must span both axes (all the x, or all the y, "
                                   "are the same)", argument="x, y")
    origin = (x.min(), y.min())
    return np.column_stack([(x - origin[0]) / span[0], (y - origin[1]) / span[1]]), (origin, span)


def interpolate_on_grid(x, y, values, *, method: str = "thin_plate", smoothing: float = DEFAULT_SMOOTHING,
                        resolution: int = DEFAULT_RESOLUTION) -> GridField:
    """Values at scattered points interpolated onto a regular grid over their convex hull.

    Parameters
    ----------
    x, y
        Coordinates of the points, (n,) each.
    values
        (n,) values, or (n, k) for k fields interpolated alike; points with a value that is not
        finite are left out.
    method
        ``"thin_plate"`` (a smoothing thin-plate spline in coordinates scaled to [0, 1]) or
        ``"linear"`` (linear on the Delaunay triangles); see the module docstring.
    smoothing
        The thin-plate spline's smoothing (0: through every point).
    resolution
        Grid nodes per axis (at least 3).

    Returns
    -------
    GridField
        ``values[i, j]`` at ``(x[i], y[j])``; the points' convex hull and the nodes inside it.
    """
    from scipy.interpolate import LinearNDInterpolator, NearestNDInterpolator, RBFInterpolator
    from scipy.spatial import ConvexHull, Delaunay, QhullError

    if method not in METHODS:
        raise InvalidArgumentError(f"unknown interpolation {method!r}; one of {', '.join(METHODS)}",
                                   argument="method")
    if not (isinstance(resolution, (int, np.integer)) and resolution >= 3):
        raise InvalidArgumentError(f"must be an integer >= 3, got {resolution!r}", argument="resolution")
    if not (np.isfinite(smoothing) and smoothing >= 0):
        raise InvalidArgumentError(f"must be >= 0, got {smoothing!r}", argument="smoothing")
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    values = np.asarray(values, dtype=float)
    if x.ndim != 1 or x.shape != y.shape or values.shape[:1] != x.shape:
        raise InvalidArgumentError(f"x, y and the values must hold one entry per point, got shapes "
                                   f"{x.shape}, {y.shape} and {values.shape}", argument="x, y")
    keep = np.isfinite(x) & np.isfinite(y) & np.all(np.isfinite(values.reshape(x.size, -1)), axis=1)
    x, y, values = x[keep], y[keep], values[keep]
    if x.size < 3:
        raise InvalidArgumentError(f"needs at least 3 points with finite values, got {x.size}",
                                   argument="x, y")
    points, (origin, span) = _scaled(x, y)
    if np.unique(points, axis=0).shape[0] < points.shape[0]:
        raise InvalidArgumentError("two signal points lie at the same place", argument="x, y")
    try:
        convex_hull = ConvexHull(points)
    except QhullError:
        raise InvalidArgumentError("the signal points lie on one line: they cover no area",
                                   argument="x, y") from None
    axis = np.linspace(0.0, 1.0, resolution)
    nodes = np.stack(np.meshgrid(axis, axis, indexing="ij"), axis=-1).reshape(-1, 2)
    # inside: on the inner side of every edge (the hull's outward normals, unit length), to rounding
    inside = np.all(nodes @ convex_hull.equations[:, :2].T + convex_hull.equations[:, 2] <= 1e-12, axis=1)
    if method == "linear":
        grid = LinearNDInterpolator(Delaunay(points), values)(nodes)
        grid[~inside] = NearestNDInterpolator(points, values)(nodes[~inside])
    else:
        spline = RBFInterpolator(points, values, kernel="thin_plate_spline", smoothing=smoothing, degree=1)
        grid = spline(nodes)
    hull = points[convex_hull.vertices]  # counterclockwise in two dimensions
    hull = origin + span * np.vstack([hull, hull[:1]])
    return GridField(origin[0] + span[0] * axis, origin[1] + span[1] * axis,
                     grid.reshape(resolution, resolution, *values.shape[1:]), hull,
                     inside.reshape(resolution, resolution))


def clip_to_hull(lines: Sequence[np.ndarray], hull: np.ndarray) -> list[np.ndarray]:
    """The parts of polylines within a convex polygon (Cyrus-Beck clipping of every segment).

    Parameters
    ----------
    lines
        (k, 2) polylines; a closed one repeats its first vertex.
    hull
        A closed convex polygon, (h + 1, 2), counterclockwise.

    Returns
    -------
    list of numpy.ndarray
        The pieces inside, each cut exactly where it crosses the polygon's boundary; a closed
        line wholly inside stays closed, and one that leaves is joined across its start.
    """
    start, edge = hull[:-1], np.diff(hull, axis=0)
    normal = np.column_stack([edge[:, 1], -edge[:, 0]])  # outward for a counterclockwise polygon
    offset = np.sum(normal * start, axis=1)
    slack = 1e-12 * np.max(np.abs(hull)) * np.max(np.abs(edge))
    out = []
    for line in lines:
        line = np.asarray(line, dtype=float)
        if len(line) < 2:
            continue
        p0, step = line[:-1], np.diff(line, axis=0)
        room = offset[None, :] + slack - p0 @ normal.T  # inside while t * rate <= room
        rate = step @ normal.T
        with np.errstate(divide="ignore", invalid="ignore"):
            bound = room / rate
        enter = np.max(np.where(rate < 0, bound, -np.inf), axis=1, initial=0.0)
        leave = np.min(np.where(rate > 0, bound, np.inf), axis=1, initial=1.0)
        blocked = np.any((rate == 0) & (room < 0), axis=1)
        pieces, current = [], None
        for k in range(len(p0)):
            if blocked[k] or enter[k] > leave[k]:
                current = None
                continue
            a, b = p0[k] + enter[k] * step[k], p0[k] + leave[k] * step[k]
            if current is None or enter[k] > 0:
                current = [a]
                pieces.append(current)
            current.append(b)
            if leave[k] < 1:
                current = None
        closed = len(line) > 2 and np.array_equal(line[0], line[-1])
        if closed and len(pieces) > 1 and enter[0] == 0 and leave[-1] == 1 and not blocked[[0, -1]].any():
            pieces[0] = pieces.pop() + pieces[0][1:]
        out.extend(np.array(p) for p in pieces if len(p) >= 2 and np.ptp(np.array(p), axis=0).any())
    return out


def exclusion_lines(x: Sequence[float], y: Sequence[float], cls_obs: Sequence[float] | None = None,
                    cls_exp: Sequence[Sequence[float]] | None = None, *, cl: float = 0.95,
                    method: str = "thin_plate", smoothing: float = DEFAULT_SMOOTHING,
                    resolution: int = DEFAULT_RESOLUTION) -> ExclusionLines:
    """The observed and expected exclusion contours of scattered signal points, and the expected
    band, by the method of the module docstring.

    Parameters
    ----------
    x, y
        Coordinates of the signal points (e.g. two masses).
    cls_obs
        Observed CLs at each point (at mu = 1), or None.
    cls_exp
        Expected CLs at each point, (n_points, 5) at n_sigma = -2..2, or None.
    cl
        Confidence level: the contours are where CLs = 1 - cl.
    method, smoothing, resolution
        As :func:`interpolate_on_grid`.

    Returns
    -------
    ExclusionLines
    """
    from scipy.stats import norm

    from likelihub.infer.contours import contour_lines

    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if x.shape != y.shape or x.ndim != 1 or x.size < 3:
        raise ValueError(f"x and y must be two 1-D arrays of the same length >= 3, got shapes "
                         f"{x.shape} and {y.shape}")
    if not 0.0 < cl < 1.0:
        raise InvalidArgumentError(f"must lie in (0, 1), got {cl!r}", argument="cl")
    level = float(norm.ppf(cl))
    options = {"method": method, "smoothing": smoothing, "resolution": resolution}
    observed, expected, band, observed_grid = [], [], None, None
    if cls_exp is not None:
        cls_exp = np.asarray(cls_exp, dtype=float)
        if cls_exp.shape != (x.size, 5):
            raise ValueError(f"cls_exp must have shape ({x.size}, 5), got {cls_exp.shape}")
        z_grid = interpolate_on_grid(x, y, significance(cls_exp), **options)
        band = GridField(z_grid.x, z_grid.y, band_crossing_sigma(z_grid.values, level), z_grid.hull,
                         z_grid.inside)
        expected = clip_to_hull(contour_lines(band.x, band.y, band.values, 0.0), band.hull)
    if cls_obs is not None:
        cls_obs = np.asarray(cls_obs, dtype=float)
        if cls_obs.shape != x.shape:
            raise ValueError(f"cls_obs must have {x.size} values, got shape {cls_obs.shape}")
        observed_grid = interpolate_on_grid(x, y, significance(cls_obs), **options)
        observed = clip_to_hull(contour_lines(observed_grid.x, observed_grid.y, observed_grid.values, level),
                                observed_grid.hull)
    return ExclusionLines(observed, expected, band, observed_grid, level)
