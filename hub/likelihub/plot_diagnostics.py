"""Plots of the fit diagnostics (matplotlib, imported only when a plot is drawn; no pyplot).

    from likelihub import diagnostics, plot_diagnostics as pd
    pd.pulls_plot(diagnostics.pulls(model, fit))              # pulls with constraints, +-1/2 bands
    pd.correlation_plot(diagnostics.correlations(model, fit))  # the matrix, as colours
    pd.yields_plot(diagnostics.yields(model, fit))            # stacked samples, band, data, per channel
    pd.ranking_plot(diagnostics.ranking(model, fit), top=20)  # impacts on the POI and the pulls
    pd.save(figure_or_axes, "pulls.png")

Each function draws into ``ax`` where given (``yields_plot``: into ``figure``), else into a new
:class:`matplotlib.figure.Figure` made without pyplot (no GUI, nothing kept alive by a global
figure manager), and returns the Axes (``yields_plot``: the Figure). The layouts follow
cabinetry's ``visualize`` module: pulls as points with horizontal error bars over the +-1 sigma
(green) and +-2 sigma (yellow) bands; ranking with the post-fit impacts as open and the pre-fit ones
as hatched bars on the POI axis, the pulls on a second axis.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from likelihub.errors import CapabilityError

__all__ = ["pulls_plot", "correlation_plot", "yields_plot", "ranking_plot", "save"]


def _figure(**options):
    try:
        from matplotlib.figure import Figure
    except ImportError as error:  # pragma: no cover - matplotlib is a test dependency
        raise CapabilityError("likelihub.plot_diagnostics needs matplotlib: pip install 'likelihub[plot]'") \
            from error
    return Figure(layout="constrained", **options)


def _axes(ax, height: float = 4.8):
    return ax if ax is not None else _figure(figsize=(6.4, height)).subplots()


def pulls_plot(result, *, ax=None, include_unconstrained: bool = False):
    """Pulls (theta-hat - theta_0) / sigma_0 with error bars sigma-hat / sigma_0, one row per
    constrained parameter (and, with ``include_unconstrained``, the others' best fits as crosses).

    Parameters
    ----------
    result
        A :class:`~likelihub.diagnostics.PullsResult`.
    """
    keep = np.isfinite(result.pull)
    if include_unconstrained:
        keep |= ~np.array(result.fixed, dtype=bool)
    names = [n for n, k in zip(result.parameters, keep, strict=True) if k]
    ax = _axes(ax, height=max(3.0, 0.22 * len(names) + 1.0))
    y = np.arange(len(names))[::-1]
    pull = np.asarray(result.pull)[keep]
    constraint = np.asarray(result.constraint)[keep]
    ax.axvspan(-2, 2, color="#ffcc00", zorder=0)
    ax.axvspan(-1, 1, color="#00cc00", zorder=0)
    ax.axvline(0, color="grey", ls="--", lw=1)
    finite = np.isfinite(pull)
    ax.errorbar(pull[finite], y[finite], xerr=constraint[finite], fmt="o", color="black", ms=4,
                label="pull")
    if (~finite).any():
        ax.plot(np.asarray(result.bestfit)[keep][~finite], y[~finite], "x", color="tab:blue",
                label="unconstrained: best fit")
        ax.legend(fontsize="x-small", loc="upper right")
    ax.set_yticks(y, names, fontsize="x-small")
    ax.set_ylim(-0.5, len(names) - 0.5)
    limit = 3.0
    if finite.any():
        limit = max(limit, float(np.nanmax(np.abs(pull[finite]) + constraint[finite])) + 0.5)
    ax.set_xlim(-limit, limit)
    ax.set_xlabel(r"$(\hat\theta - \theta_0) / \Delta\theta$")
    return ax


def correlation_plot(result, *, ax=None, threshold: float = 0.0):
    """The correlation matrix as colours (-1 blue, +1 red), values written where there is room.

    Parameters
    ----------
    result
        A :class:`~likelihub.diagnostics.CorrelationResult`.
    threshold
        Show only the parameters with some |rho| >= threshold off the diagonal (cabinetry's
        ``correlation_matrix(pruning_threshold=...)``).
    """
    matrix = np.asarray(result.matrix)
    off = np.abs(matrix - np.eye(len(matrix)))
    keep = off.max(axis=1) >= threshold if threshold > 0 else np.ones(len(matrix), dtype=bool)
    matrix = matrix[np.ix_(keep, keep)]
    names = [n for n, k in zip(result.parameters, keep, strict=True) if k]
    size = max(4.0, 0.25 * len(names) + 2.0)
    ax = ax if ax is not None else _figure(figsize=(size + 1.0, size)).subplots()
    image = ax.imshow(matrix, vmin=-1, vmax=1, cmap="RdBu_r")
    ax.figure.colorbar(image, ax=ax, label="correlation")
    ticks = np.arange(len(names))
    ax.set_xticks(ticks, names, rotation=90, fontsize="xx-small")
    ax.set_yticks(ticks, names, fontsize="xx-small")
    if len(names) <= 25:
        for i in range(len(names)):
            for j in range(len(names)):
                ax.text(j, i, f"{matrix[i, j]:.2f}", ha="center", va="center", fontsize="xx-small")
    return ax


def yields_plot(result, *, channels=None, figure=None, log: bool = False):
    """Stacked sample yields per bin, the uncertainty band of their total (hatched), the data
    with Poisson error bars; one panel per channel.

    Parameters
    ----------
    result
        A :class:`~likelihub.diagnostics.YieldsResult`.
    channels
        Names of the channels to draw; all by default.
    figure
        A matplotlib Figure to draw into (a new one by default).
    log
        Logarithmic y axis.

    Returns
    -------
    matplotlib.figure.Figure
    """
    channels = list(result.channels if channels is None else channels)
    figure = figure if figure is not None else _figure(figsize=(4.2 * len(channels), 4.2))
    axes = np.atleast_1d(figure.subplots(1, len(channels), squeeze=False)[0])
    from matplotlib import colormaps

    palette = colormaps["tab20" if len(result.samples) > 10 else "tab10"]
    colours = {sample: palette(i % palette.N) for i, sample in enumerate(result.samples)}
    for ax, name in zip(axes, channels, strict=True):
        c = result.channel(name)
        n = len(c["total"])
        edges = np.arange(n + 1)
        bottom = np.zeros(n)
        for sample, values in c["samples"].items():
            heights = np.asarray(values["yields"])
            if not np.any(heights):
                continue
            ax.stairs(bottom + heights, edges, baseline=bottom, fill=True, label=sample, alpha=0.8,
                      color=colours[sample])
            bottom = bottom + heights
        total, sd = np.asarray(c["total"]), np.asarray(c["total_stdev"])
        ax.stairs(total + sd, edges, baseline=total - sd, fill=False, hatch="///", color="black", lw=0,
                  label="uncertainty")
        ax.stairs(total, edges, color="black", lw=1)
        data = np.asarray(c["data"])
        ax.errorbar(edges[:-1] + 0.5, data, yerr=np.sqrt(data), fmt="o", color="black", ms=4, label="data")
        ax.set_title(f"{name} ({result.label})", fontsize="small")
        ax.set_xlabel("bin")
        ax.set_ylabel("events")
        if log:
            ax.set_yscale("log")
        ax.legend(fontsize="xx-small")
    return figure


def ranking_plot(result, *, top: int | None = 20, ax=None):
    """Impacts on the POI of the ``top`` parameters (largest post-fit impact at the top): post-fit
    +-1 sigma as filled bars, pre-fit as open bars, and each parameter's pull on a second x axis.

    Parameters
    ----------
    result
        A :class:`~likelihub.diagnostics.RankingResult`.
    """
    shown = result.top(top) if top is not None else result
    n = len(shown.parameters)
    ax = _axes(ax, height=max(3.0, 0.3 * n + 1.5))
    y = np.arange(n)[::-1]
    for values, colour, sign in ((shown.postfit_up, "tab:blue", "+"), (shown.postfit_down, "tab:cyan", "-")):
        ax.barh(y, values, color=colour, alpha=0.7,
                label=rf"post-fit impact $\hat\theta {sign} \Delta\hat\theta$")
    for values, colour, sign in ((shown.prefit_up, "tab:blue", "+"), (shown.prefit_down, "tab:cyan", "-")):
        ax.barh(y, values, fill=False, edgecolor=colour,
                label=rf"pre-fit impact $\hat\theta {sign} \Delta\theta$")
    ax.axvline(0, color="grey", lw=1)
    ax.set_yticks(y, shown.parameters, fontsize="x-small")
    ax.set_ylim(-0.5, n - 0.5)
    ax.set_xlabel(rf"$\Delta\hat{{\mu}}$ ({shown.poi})")
    width = np.asarray(shown.prefit_width)
    constrained = width > 0
    scale = np.where(constrained, width, 1.0)
    pull = (np.asarray(shown.bestfit) - np.asarray(shown.prefit_centre)) / scale
    pulls_axis = ax.twiny()
    pulls_axis.errorbar(pull[constrained], y[constrained],
                        xerr=np.asarray(shown.uncertainty)[constrained] / width[constrained],
                        fmt="o", color="black", ms=3, label="pull")
    pulls_axis.set_xlim(-2, 2)
    pulls_axis.set_xlabel(r"$(\hat\theta - \theta_0) / \Delta\theta$")
    ax.legend(fontsize="xx-small", loc="lower right")
    return ax


def save(drawn, path: str | Path, dpi: int = 150) -> Path:
    """Write the figure of ``drawn`` (an Axes or a Figure) to ``path`` (format from its suffix)."""
    path = Path(path)
    figure = getattr(drawn, "figure", None) or drawn
    figure.savefig(path, dpi=dpi)
    return path
