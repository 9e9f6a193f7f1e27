"""The result of a profile-likelihood scan (:meth:`likelihub.StatisticalModel.profile_scan`):
the grid, -2 Delta ln L at every point, the conditional fits, the best fit; 1D crossings, 2D
contours, a dictionary for JSON and the rows of a CSV table."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.special import chdtri

from likelihub.fits.result import FitResult
from likelihub.results import _plain, _Serialisable

__all__ = ["ProfileScanResult", "Contour", "ONE_SIGMA", "wilks_threshold"]

#: The probability content of +-1 standard deviation of a normal distribution (68.27%).
ONE_SIGMA = 0.6826894921370859


def wilks_threshold(cl: float, dof: int) -> float:
    """The level of -2 Delta ln L of a ``cl`` confidence region of ``dof`` parameters (Wilks): the
    chi-square quantile with ``dof`` degrees of freedom at ``cl``, ``chi2.ppf(cl, dof)`` (1 dof:
    3.84 at 95%; 2 dof: 2.30 at 68.27%, 5.99 at 95%). Profile-likelihood intervals
    (:mod:`likelihub.infer.intervals`), scan crossings and contours all take it from here."""
    return float(chdtri(dof, 1.0 - cl))


def _json_safe(value):
    """``value`` (plain Python) with non-finite floats as None, recursively."""
    if isinstance(value, float):
        return value if np.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_safe(v) for v in value]
    return value


def _finite_plain(value):
    """``value`` as plain Python (:func:`likelihub.results._plain`) with NaN and infinities as None
    (JSON has no NaN); float arrays at once."""
    if isinstance(value, np.ndarray) and value.dtype.kind == "f":
        out = np.asarray(value, dtype=object)
        out[~np.isfinite(value)] = None
        return out.tolist()
    return _json_safe(_plain(value))


@dataclass
class Contour(_Serialisable):
    """The contour of a 2D profile scan at one confidence level.

    Attributes
    ----------
    cl
        Confidence level (0.6827 for "68%", 0.95).
    threshold
        Its level of -2 Delta ln L: the chi-square quantile with 2 degrees of freedom (Wilks):
        2.30 at 68.27%, 5.99 at 95%.
    lines
        Polylines, each a (k, 2) array of (first, second parameter) vertices, interpolated
        linearly between grid points (:func:`likelihub.infer.contours.contour_lines`); a closed
        line repeats its first vertex.
    """

    cl: float
    threshold: float
    lines: list[np.ndarray]


@dataclass
class ProfileScanResult(_Serialisable):
    """A profile-likelihood scan over one or two parameters (every other parameter profiled).

    Attributes
    ----------
    parameters
        The scanned parameters' names (one or two).
    grid
        The grid values of each scanned parameter.
    twice_delta_nll
        -2 Delta ln L = 2 [NLL(point) - NLL(best fit)] at every grid point, shape (n,) or
        (n1, n2) (``[i, j]`` at ``grid[0][i]``, ``grid[1][j]``); NaN where a fit failed outright.
    nll
        -log L of the conditional fit at every grid point.
    converged, edm, methods
        Each conditional fit's status: whether it reached a valid minimum, its estimated distance
        to the minimum, and what made it ("newton (lock-step)", or a one-by-one fit's method).
    values
        The conditional fits' parameters, shape (*grid shape, P) (the scanned ones at the point).
    parameter_names
        The names of the P parameters.
    best_fit
        The free fit, the reference of ``twice_delta_nll``.
    best_fit_from
        None, or the grid point (its scanned values) from which the free fit was redone because
        a conditional fit there lay below the first free fit
        (:mod:`likelihub.infer.profile_scan`).
    """

    parameters: tuple[str, ...]
    grid: tuple[np.ndarray, ...]
    twice_delta_nll: np.ndarray
    nll: np.ndarray
    converged: np.ndarray
    edm: np.ndarray
    methods: np.ndarray
    values: np.ndarray
    parameter_names: tuple[str, ...]
    best_fit: FitResult
    best_fit_from: tuple[float, ...] | None = None

    #: ``to_dict`` and ``to_json`` (:class:`likelihub.results._Serialisable`) with NaN and
    #: infinities as None
    _plain_value = staticmethod(_finite_plain)

    @property
    def shape(self) -> tuple[int, ...]:
        """The grid's shape: (n,) or (n1, n2)."""
        return self.twice_delta_nll.shape

    @property
    def best_values(self) -> tuple[float, ...]:
        """The scanned parameters' values at the best fit."""
        return tuple(float(self.best_fit[name]) for name in self.parameters)

    @property
    def all_converged(self) -> bool:
        """Whether every conditional fit reached a valid minimum."""
        return bool(np.all(self.converged))

    def crossings(self, cl: float = ONE_SIGMA) -> tuple[float | None, float | None]:
        """Where a 1D scan's -2 Delta ln L crosses the 1-dof chi-square quantile of ``cl`` (1 at
        68.27%, 3.84 at 95%) below and above the best fit, from a cubic spline through the grid
        points (None where the grid does not reach the crossing). For the exact interval, without
        a grid, see :meth:`likelihub.StatisticalModel.profile_interval`."""
        from scipy.interpolate import CubicSpline
        from scipy.optimize import brentq

        from likelihub import arguments as check
        from likelihub.errors import InvalidArgumentError

        cl = check.probability(cl, argument="cl")
        if len(self.parameters) != 1:
            raise InvalidArgumentError("crossings are those of a 1D scan; this scan has two parameters "
                                       "(see contours())", argument="cl")
        x, t = self.grid[0], self.twice_delta_nll
        keep = np.isfinite(t)
        x, t = x[keep], t[keep]
        spline = CubicSpline(x, t)
        threshold, best = wilks_threshold(cl, 1), self.best_values[0]
        ends: list[float | None] = []
        for side in (x[x <= best][::-1], x[x >= best]):  # outwards from the best fit
            inside, found = best, None
            for point in side:
                if spline(point) >= threshold:
                    found = float(brentq(lambda v: spline(v) - threshold, min(inside, point),
                                         max(inside, point), xtol=1e-12))
                    break
                inside = point
            ends.append(found)
        return ends[0], ends[1]

    def contours(self, levels: Sequence[float] = (ONE_SIGMA, 0.95)) -> list[Contour]:
        """The contours of a 2D scan at the confidence levels ``levels``: where -2 Delta ln L
        equals the 2-dof chi-square quantile (Wilks: 2.30 at 68.27%, 5.99 at 95%), as polylines
        interpolated linearly between grid points (marching squares,
        :func:`likelihub.infer.contours.contour_lines`)."""
        from likelihub import arguments as check
        from likelihub.errors import InvalidArgumentError
        from likelihub.infer.contours import contour_lines

        if len(self.parameters) != 2:
            raise InvalidArgumentError("contours are those of a 2D scan; this scan has one parameter "
                                       "(see crossings())", argument="levels")
        array = check.numbers_array(levels, argument="levels").reshape(-1)
        out = []
        for k, cl in enumerate(array):
            cl = check.probability(cl, argument=f"levels[{k}]")
            threshold = wilks_threshold(cl, 2)
            out.append(Contour(cl, threshold, contour_lines(*self.grid, self.twice_delta_nll, threshold)))
        return out

    def rows(self) -> list[dict]:
        """One dictionary per grid point (C order: the last parameter varies fastest): the scanned
        values, ``twice_delta_nll``, ``nll``, ``converged``, ``edm``, ``method``, then every
        parameter's conditional value (the columns of a CSV table)."""
        out = []
        for point in np.ndindex(*self.shape):
            row = {name: float(self.grid[a][k]) for a, (name, k) in enumerate(zip(self.parameters, point,
                                                                                   strict=True))}
            row.update(twice_delta_nll=float(self.twice_delta_nll[point]), nll=float(self.nll[point]),
                       converged=bool(self.converged[point]), edm=float(self.edm[point]),
                       method=str(self.methods[point]))
            row.update({f"value:{name}": float(v) for name, v in zip(self.parameter_names, self.values[point],
                                                                      strict=True)})
            out.append(row)
        return out

    def __str__(self) -> str:
        shape = " x ".join(str(n) for n in self.shape)
        best = ", ".join(f"{n} = {v:.6g}" for n, v in zip(self.parameters, self.best_values, strict=True))
        failed = int(np.count_nonzero(~self.converged))
        lines = [f"ProfileScanResult: {shape} grid of {', '.join(self.parameters)}; best fit {best} "
                 f"(-log L = {self.best_fit.nll:.6f}); {failed} fits not converged"]
        if self.best_fit_from is not None:
            lines.append(f"  (free fit redone from the grid point {self.best_fit_from}: a conditional "
                         "fit there lay below the first free fit)")
        return "\n".join(lines)
