"""Plots of limits and likelihoods (matplotlib, imported only when a plot is drawn).

    import likelihub.plot as lp
    scan = model.cls_scan(np.linspace(0, 3, 31))
    ax = lp.brazil_band(scan, limit=model.upper_limit())      # CLs vs mu, expected band, limits
    lp.profile_likelihood_scan(model, np.linspace(0, 3, 31))  # -2 ln lambda(mu)
    lp.profile_likelihood_scan(model.profile_scan({"theta": (-3, 3, 31)}))  # any parameter
    lp.profile_scan_2d(model.profile_scan({"mu": (0, 3, 31), "theta": (-3, 3, 31)}))  # contours
    lp.exclusion_contour(m1, m2, cls_obs, cls_exp)            # over a grid of signal points
    lp.exclusion_contour(lh.scan(workspace, patchset))        # axes from the scan's labels, [GeV]
    lp.save(ax, "brazil.png")

Every function draws into ``ax`` (a new figure's Axes when None) and returns the Axes. The
expected band follows the convention of :class:`~likelihub.CLsResult`: CLs at n_sigma = -2, -1,
0, 1, 2 (ascending); +-1 sigma green, +-2 sigma yellow, as ATLAS and CMS draw them.
``import likelihub`` never imports this module nor matplotlib (``pip install likelihub[plot]``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from likelihub.contour_interpolation import (
    DEFAULT_RESOLUTION,
    DEFAULT_SMOOTHING,
    exclusion_lines,
    expected_crossing_sigma,
)
from likelihub.errors import CapabilityError, InvalidArgumentError
from likelihub.profile_results import ONE_SIGMA, ProfileScanResult, wilks_threshold
from likelihub.results import CLsScanResult, UpperLimitResult
from likelihub.running.scan_formats import ScanResult

__all__ = [
    "brazil_band",
    "profile_likelihood_scan",
    "profile_scan_2d",
    "exclusion_contour",
    "expected_crossing_sigma",
    "axis_label",
    "save",
    "BAND_COLOURS",
]

#: Fill colours of the +-1 and +-2 sigma expected bands.
BAND_COLOURS = {1: "#00cc00", 2: "#ffcc00"}
#: Where -2 ln lambda crosses the 68% and 95% CL intervals of one parameter (chi2, 1 dof): one
#: standard deviation squared (wilks_threshold(ONE_SIGMA, 1) is 1 - 1.2e-14), and the quantile at 95%.
PROFILE_LEVELS = {"68% CL": 1.0, "95% CL": wilks_threshold(0.95, 1)}


def _axes(ax):
    if ax is not None:
        return ax
    try:
        import matplotlib.pyplot as plt
    except ImportError as error:  # pragma: no cover - matplotlib is a test dependency
        raise CapabilityError("likelihub.plot needs matplotlib: pip install 'likelihub[plot]'") from error
    return plt.subplots()[1]


def _crossing(mus: np.ndarray, cls: np.ndarray, alpha: float) -> float | None:
    """First mu where the CLs curve falls through alpha, interpolated linearly in log CLs."""
    for i in range(len(mus) - 1):
        if cls[i] > alpha >= cls[i + 1] and cls[i + 1] > 0:
            x0, x1 = np.log(cls[i]), np.log(cls[i + 1])
            return float(mus[i] + (np.log(alpha) - x0) / (x1 - x0) * (mus[i + 1] - mus[i]))
    return None


def brazil_band(scan, mus: Sequence[float] | None = None, *, limit: UpperLimitResult | None = None,
                cl: float = 0.95, ax=None, **scan_options):
    """CLs versus mu: observed, expected median, +-1 and +-2 sigma bands, and the limits marked.

    Parameters
    ----------
    scan
        A :class:`~likelihub.CLsScanResult`, or a :class:`~likelihub.StatisticalModel` whose
        ``cls_scan(mus, **scan_options)`` is drawn.
    mus
        The signal strengths to scan (with a model only).
    limit
        An :class:`~likelihub.UpperLimitResult` whose limits are marked; by default the crossings
        of the scanned curves with 1 - cl, interpolated between scan points.
    cl
        Confidence level: the line CLs = 1 - cl is drawn.
    ax
        Axes to draw into; a new figure's when None.

    Returns
    -------
    matplotlib.axes.Axes
    """
    if not isinstance(scan, CLsScanResult):
        if mus is None:
            raise ValueError("brazil_band of a model needs the signal strengths to scan: mus=...")
        scan = scan.cls_scan(mus, **scan_options)
    ax = _axes(ax)
    mu = np.asarray(scan.mu, dtype=float)
    alpha = 1.0 - cl
    if scan.cls_exp is not None:
        band = np.asarray(scan.cls_exp, dtype=float)  # (n_mu, 5), ascending quantiles
        outer, inner = ((r"$\pm 2\sigma$", r"$\pm 1\sigma$") if getattr(scan, "band", "sigma") == "sigma"
                        else ("2.5-97.5%", "16-84%"))  # Combine's percentiles
        ax.fill_between(mu, band[:, 0], band[:, 4], color=BAND_COLOURS[2], lw=0, label=f"expected {outer}")
        ax.fill_between(mu, band[:, 1], band[:, 3], color=BAND_COLOURS[1], lw=0, label=f"expected {inner}")
        ax.plot(mu, band[:, 2], color="black", ls="--", label="expected")
    if scan.cls_obs is not None:
        ax.plot(mu, scan.cls_obs, color="black", ls="-", marker=".", label="observed")
    ax.axhline(alpha, color="red", ls="-", lw=1, label=f"CLs = {alpha:g}")
    if limit is not None:
        observed = limit.observed
        median = None if limit.expected is None else limit.expected[2]
    else:
        observed = None if scan.cls_obs is None else _crossing(mu, np.asarray(scan.cls_obs), alpha)
        median = (None if scan.cls_exp is None
                  else _crossing(mu, np.asarray(scan.cls_exp)[:, 2], alpha))
    if observed is not None:
        ax.axvline(observed, color="black", ls="-", lw=1,
                   label=rf"observed limit $\mu$ = {observed:.3g}")
    if median is not None:
        ax.axvline(median, color="black", ls=":", lw=1,
                   label=rf"expected limit $\mu$ = {median:.3g}")
    ax.set_xlabel(r"signal strength $\mu$")
    ax.set_ylabel(r"$\mathrm{CL}_s$")
    ax.set_xlim(mu.min(), mu.max())
    ax.set_ylim(0.0, 1.05)
    ax.legend(loc="upper right", fontsize="small")
    ax.set_title(f"{scan.calculator}, {scan.test_statistic}", fontsize="small", loc="right")
    return ax


def profile_likelihood_scan(model, mus: Sequence[float] | None = None, *,
                            data: Sequence[float] | None = None, levels: dict[str, float] | None = None,
                            ax=None):
    """A profile likelihood ratio -2 ln lambda over one parameter, with the 68% and 95% CL levels.

    lambda(x) = L(x, theta-hat-hat(x)) / L(x-hat, theta-hat), the other parameters profiled.

    Parameters
    ----------
    model
        A 1D :class:`~likelihub.ProfileScanResult` of any parameter
        (:meth:`~likelihub.StatisticalModel.profile_scan`), or a
        :class:`~likelihub.StatisticalModel` whose POI is scanned at ``mus`` (fitted within its
        bounds).
    mus
        The signal strengths to scan (with a model only).
    data
        Data to fit (with a model only); the observed data by default.
    levels
        {label: value} of the horizontal lines; 68% and 95% CL for one parameter by default.
    ax
        Axes to draw into; a new figure's when None.

    Returns
    -------
    matplotlib.axes.Axes
    """
    if isinstance(model, ProfileScanResult):
        if len(model.parameters) != 1:
            raise InvalidArgumentError("is a 2D scan: profile_likelihood_scan draws one parameter "
                                       "(profile_scan_2d draws two)", argument="model")
        x, t = np.asarray(model.grid[0]), np.asarray(model.twice_delta_nll)
        x_hat, xlabel, label, hat = model.best_values[0], model.parameters[0], r"$-2\Delta\ln L$", "best fit"
    else:
        if mus is None:
            raise ValueError("profile_likelihood_scan of a model needs the signal strengths to scan: mus=...")
        from likelihub.infer import Profiler

        profiler = Profiler(model.backend, model._data(data), model.config.bounds, model.fit_options)
        x = np.asarray(mus, dtype=float)
        t = np.array([profiler.t_mu(m) for m in x])
        x_hat, xlabel = profiler.mu_hat, rf"$\mu$ ({model.config.poi_name})"
        label, hat = r"$-2\ln\lambda(\mu)$", r"$\hat\mu$"
    ax = _axes(ax)
    ax.plot(x, t, color="black", label=label)
    _levels(ax, levels or PROFILE_LEVELS)
    if x.min() <= x_hat <= x.max():
        ax.axvline(x_hat, color="tab:blue", lw=1, label=f"{hat} = {x_hat:.3g}")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(label)
    ax.set_xlim(x.min(), x.max())
    ax.set_ylim(bottom=0.0)
    ax.legend(loc="upper center", fontsize="small")
    return ax


def _levels(ax, levels: dict[str, float]) -> None:
    for (label, value), style in zip(levels.items(), ("--", ":", "-."), strict=False):
        ax.axhline(value, color="grey", ls=style, lw=1, label=label)


#: Line styles of the 2D contours, in the order of their levels.
CONTOUR_STYLES = ("-", "--", ":", "-.")


def profile_scan_2d(scan: ProfileScanResult, *, levels: Sequence[float] = (ONE_SIGMA, 0.95),
                    colour_map: bool = True, ax=None):
    """A 2D profile scan: -2 Delta ln L as a colour map, the contours at ``levels`` (Wilks, 2
    degrees of freedom: 2.30 at 68.27%, 5.99 at 95%; :meth:`~likelihub.ProfileScanResult.contours`)
    and the best fit marked.

    Parameters
    ----------
    scan
        A 2D :class:`~likelihub.ProfileScanResult`.
    levels
        Confidence levels of the contours.
    colour_map
        Draw -2 Delta ln L as a colour map under the contours (up to 1.5 times the largest level).
    ax
        Axes to draw into; a new figure's when None.

    Returns
    -------
    matplotlib.axes.Axes
    """
    if not isinstance(scan, ProfileScanResult) or len(scan.parameters) != 2:
        raise InvalidArgumentError("must be a 2D ProfileScanResult (model.profile_scan of two parameters)",
                                   argument="scan")
    contours = scan.contours(levels)
    ax = _axes(ax)
    x, y = scan.grid
    if colour_map:
        top = 1.5 * max(c.threshold for c in contours)
        mesh = ax.pcolormesh(x, y, np.asarray(scan.twice_delta_nll).T, shading="nearest", cmap="viridis_r",
                             vmin=0.0, vmax=top)
        ax.figure.colorbar(mesh, ax=ax, label=r"$-2\Delta\ln L$")
    for contour, style in zip(contours, CONTOUR_STYLES, strict=False):
        for k, line in enumerate(contour.lines):
            ax.plot(line[:, 0], line[:, 1], color="black", ls=style, lw=1.5,
                    label=f"{100 * contour.cl:.4g}% CL" if k == 0 else None)
    best = scan.best_values
    ax.plot([best[0]], [best[1]], ls="none", marker="*", ms=10, color="red",
            label=f"best fit ({best[0]:.3g}, {best[1]:.3g})")
    ax.set_xlabel(scan.parameters[0])
    ax.set_ylabel(scan.parameters[1])
    ax.set_xlim(x.min(), x.max())
    ax.set_ylim(y.min(), y.max())
    ax.legend(loc="best", fontsize="small")
    return ax


#: Label names that are masses (drawn with [GeV]): ``m`` or ``mass``, alone or followed by a digit,
#: an underscore, or up to three letters and digits (m1, m2, mst, mn2, msb, m_stop, mass_C1), but
#: not names starting with ``mu`` (a signal strength).
MASS_LABEL = re.compile(r"^(?!mu)(m|mass)(\d.*|_.*|[a-z]{1,3}\d*)?$", re.IGNORECASE)


def axis_label(name: str, *, units: Mapping[str, str] | None = None) -> str:
    """The axis label of a label name, with its unit: ``units[name]`` where given (``""`` for
    none), else GeV for a mass (:data:`MASS_LABEL`): ``axis_label("m1")`` is ``"m1 [GeV]"``."""
    unit = (units or {}).get(name, "GeV" if MASS_LABEL.match(name) else "")
    return f"{name} [{unit}]" if unit else name


def _scan_columns(table: ScanResult, columns: Sequence[str] | None) -> tuple:
    """x, y, cls_obs, cls_exp and the two label names of a CLs scan's rows (failed rows left out)."""
    if table.what != "cls":
        raise InvalidArgumentError(f"is a scan of {table.what!r}; an exclusion contour needs CLs "
                                   "(likelihub.scan(..., what='cls'))", argument="x")
    names = list(columns) if columns is not None else table.labels[:2]
    if len(names) != 2 or any(n not in table.labels for n in names):
        raise InvalidArgumentError(f"needs two of the scan's labels {table.labels} (columns=...); the "
                                   "points of a scan without labels have no coordinates", argument="columns")
    at = [table.labels.index(n) for n in names]
    rows = [r for r in table.rows if not r.get("error")]
    x, y = ([float(r["values"][k]) for r in rows] for k in at)
    return x, y, [r["cls_obs"] for r in rows], [r["cls_exp"] for r in rows], names


def exclusion_contour(x, y: Sequence[float] | None = None, cls_obs: Sequence[float] | None = None,
                      cls_exp: Sequence[Sequence[float]] | None = None, *, cl: float = 0.95,
                      xlabel: str | None = None, ylabel: str | None = None,
                      columns: Sequence[str] | None = None, units: Mapping[str, str] | None = None,
                      method: str = "thin_plate", smoothing: float = DEFAULT_SMOOTHING,
                      resolution: int = DEFAULT_RESOLUTION, show_points: bool = True, ax=None):
    """Exclusion contours over a two-dimensional grid of signal points (e.g. two masses).

    The observed contour is where CLs = 1 - cl; the expected contour where the median expected
    CLs = 1 - cl, with the +-1 and +-2 sigma bands filled. The points may be scattered: CLs is
    interpolated as a significance onto a fine grid by a smoothing thin-plate spline, and the
    contours are clipped to the points' convex hull (:mod:`likelihub.contour_interpolation`).

    Parameters
    ----------
    x, y
        Coordinates of the signal points (e.g. the masses in a patchset's labels); or ``x`` a
        :class:`~likelihub.plugin.ScanResult` of CLs (``likelihub.scan``), whose first two labels (or
        ``columns``) are the axes and whose rows give the CLs (failed rows left out).
    cls_obs
        Observed CLs at each point (at mu = 1).
    cls_exp
        Expected CLs at each point, (n_points, 5) at n_sigma = -2..2.
    cl
        Confidence level of the contours.
    xlabel, ylabel
        Axis labels; for a scan, by default its label names with units (:func:`axis_label`).
    columns
        The two labels of a scan to draw (its first two by default).
    units
        Units of label names, overriding the rule of :func:`axis_label` (``{"m1": "TeV"}``).
    method, smoothing, resolution
        The interpolation (:func:`likelihub.contour_interpolation.interpolate_on_grid`):
        ``"thin_plate"`` with ``smoothing`` (0: through every point) or ``"linear"``, on a
        ``resolution`` x ``resolution`` grid.
    show_points
        Mark the signal points.
    ax
        Axes to draw into; a new figure's when None.

    Returns
    -------
    matplotlib.axes.Axes
    """
    from matplotlib.patches import Polygon

    names = None
    if isinstance(x, ScanResult):
        x, y, cls_obs, cls_exp, names = _scan_columns(x, columns)
    elif y is None:
        raise ValueError("exclusion_contour needs the points' coordinates x and y (or a ScanResult)")
    lines = exclusion_lines(x, y, cls_obs, cls_exp, cl=cl, method=method, smoothing=smoothing,
                            resolution=resolution)
    ax = _axes(ax)
    if lines.band is not None:
        band = lines.band
        filled = ax.contourf(band.x, band.y, band.values.T, levels=[-2, -1, 1, 2],
                             colors=[BAND_COLOURS[2], BAND_COLOURS[1], BAND_COLOURS[2]])
        _clip(filled, Polygon(band.hull, closed=True, transform=ax.transData))
        for line in lines.expected:
            ax.plot(line[:, 0], line[:, 1], color="black", ls="--")
        ax.fill_between([], [], color=BAND_COLOURS[1], label=r"expected $\pm 1\sigma$")
        ax.fill_between([], [], color=BAND_COLOURS[2], label=r"expected $\pm 2\sigma$")
        ax.plot([], [], color="black", ls="--", label="expected")
    if cls_obs is not None:
        for line in lines.observed:
            ax.plot(line[:, 0], line[:, 1], color="red", ls="-")
        ax.plot([], [], color="red", label="observed")
    if show_points:
        ax.plot(x, y, ls="none", marker=".", color="grey", ms=3, label="signal points")
    default = [axis_label(n, units=units) for n in names] if names else ["", ""]
    ax.set_xlabel(default[0] if xlabel is None else xlabel)
    ax.set_ylabel(default[1] if ylabel is None else ylabel)
    ax.legend(loc="best", fontsize="small", title=f"{100 * cl:g}% CL exclusion")
    return ax


def _clip(contour_set, patch) -> None:
    """Clip a filled contour set to ``patch`` (one artist since matplotlib 3.8, one per level before)."""
    for artist in [contour_set] if hasattr(contour_set, "set_clip_path") else contour_set.collections:
        artist.set_clip_path(patch)


def save(ax, path: str | Path, dpi: int = 150) -> Path:
    """Write the figure of ``ax`` to ``path`` (format from the suffix, e.g. PNG); returns the path."""
    path = Path(path)
    ax.figure.savefig(path, dpi=dpi, bbox_inches="tight")
    return path
