"""Pre-fit and post-fit yields per channel, sample and bin, with uncertainty bands.

    prefit = yields(model, prefit=True)     # parameters at their pre-fit centres
    postfit = yields(model)                 # at the best fit, bands from its covariance
    postfit.channel("SR")                   # one channel's bins: samples, total, data

Bands are linear error propagation (the "delta method") of the parameters' covariance through the
yields: with v_i the change of a yield when parameter i moves by its uncertainty sigma_i,
var = sum_ij v_i rho_ij v_j. ``propagation="variations"`` (default) takes v_i as the symmetrised
change between theta_i + sigma_i and theta_i - sigma_i, cabinetry's ``model_utils.yield_stdev``;
``"linear"`` takes sigma_i times the derivative (central differences of step 1e-4 sigma_i), the
delta method proper. They differ where a yield is not linear in a parameter over +-1 sigma.
Post-fit: best fit, Hessian uncertainties and correlations. Pre-fit (cabinetry's convention):
every parameter at its pre-fit centre, each constrained parameter varied by its pre-fit width,
uncorrelated; unconstrained parameters (the POI, normfactors) contribute nothing.

Sums come with their own bands, correlations included: the total of all samples per bin, and each
sample's and the total's sum over a channel's bins. Per-sample yields need the backend's
``yield_layout``/``expected_yields`` capability (:mod:`likelihub.backend.yields`); elsewhere the
main measurements are one channel of one sample.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from likelihub import arguments as check
from likelihub.backend.yields import YieldLayout, expected_yields, yield_layout
from likelihub.diagnostics.correlations import correlation_matrix
from likelihub.diagnostics.prefit import best_fit, prefit_parameters
from likelihub.errors import InvalidArgumentError
from likelihub.results import _Serialisable

__all__ = ["YieldsResult", "yields", "PROPAGATIONS", "LINEAR_STEP"]

#: How a parameter's uncertainty moves the yields (see the module docstring).
PROPAGATIONS = ("variations", "linear")
#: The step of ``propagation="linear"``, in units of each parameter's uncertainty.
LINEAR_STEP = 1e-4


@dataclass
class YieldsResult(_Serialisable):
    """Yields of every sample in every bin, with their standard deviations.

    Attributes
    ----------
    label
        ``"pre-fit"`` or ``"post-fit"``.
    channels, bins, samples
        The layout: channel names, their numbers of bins, sample names.
    yields, stdev
        (n_samples, n_main) yields and standard deviations.
    total, total_stdev
        (n_main,) the sum over samples and its standard deviation.
    channel_yields, channel_stdev
        (n_samples, n_channels) each sample's sum over a channel's bins, and its standard deviation.
    channel_total, channel_total_stdev
        (n_channels,) each channel's total yield and its standard deviation.
    data
        (n_main,) the observed main measurements.
    parameters
        The parameter values the yields are evaluated at.
    propagation
        ``"variations"`` or ``"linear"``.
    """

    label: str
    channels: tuple[str, ...]
    bins: tuple[int, ...]
    samples: tuple[str, ...]
    yields: np.ndarray
    stdev: np.ndarray
    total: np.ndarray
    total_stdev: np.ndarray
    channel_yields: np.ndarray
    channel_stdev: np.ndarray
    channel_total: np.ndarray
    channel_total_stdev: np.ndarray
    data: np.ndarray
    parameters: np.ndarray
    propagation: str

    @property
    def layout(self) -> YieldLayout:
        return YieldLayout(self.channels, self.bins, self.samples)

    def channel(self, name: str) -> dict:
        """One channel: ``{"name", "samples": {sample: {"yields", "stdev"}}, "total", "total_stdev",
        "data", "sum": {"samples": {sample: (yield, stdev)}, "total": (yield, stdev), "data"}}``."""
        if name not in self.channels:
            raise InvalidArgumentError(f"no channel {name!r}; channels: {', '.join(self.channels)}",
                                       argument="channel")
        k = self.channels.index(name)
        bins = self.layout.slices()[name]
        return {
            "name": name,
            "samples": {s: {"yields": self.yields[i, bins].tolist(), "stdev": self.stdev[i, bins].tolist()}
                        for i, s in enumerate(self.samples)},
            "total": self.total[bins].tolist(), "total_stdev": self.total_stdev[bins].tolist(),
            "data": self.data[bins].tolist(),
            "sum": {"samples": {s: [float(self.channel_yields[i, k]), float(self.channel_stdev[i, k])]
                                for i, s in enumerate(self.samples)},
                    "total": [float(self.channel_total[k]), float(self.channel_total_stdev[k])],
                    "data": float(self.data[bins].sum())},
        }

    def to_dict(self) -> dict:
        """``{"label", "propagation", "channels": [channel(name) for each channel]}``."""
        return {"label": self.label, "propagation": self.propagation,
                "channels": [self.channel(name) for name in self.channels]}

    def __str__(self) -> str:
        lines = [f"{self.label} yields ({self.propagation} propagation)"]
        for name in self.channels:
            c = self.channel(name)
            lines.append(f"  {name}: total {c['sum']['total'][0]:.4g} +/- {c['sum']['total'][1]:.3g}, "
                         f"data {c['sum']['data']:.6g}")
            for i, (total, sd) in enumerate(zip(c["total"], c["total_stdev"], strict=True)):
                lines.append(f"    bin {i}: {total:.4g} +/- {sd:.3g}  (data {c['data'][i]:.6g})")
        return "\n".join(lines)


def _with_sums(values: np.ndarray, layout: YieldLayout) -> np.ndarray:
    """(..., S, B) yields to (..., S + 1, B + C): the total over samples as a last row, each
    channel's sum over its bins as last columns."""
    values = np.concatenate([values, values.sum(axis=-2, keepdims=True)], axis=-2)
    sums = [values[..., bins].sum(axis=-1) for bins in layout.slices().values()]
    return np.concatenate([values, np.stack(sums, axis=-1)], axis=-1)


def _variations(backend, layout, at: np.ndarray, sigma: np.ndarray, step: float) -> np.ndarray:
    """(P, S + 1, B + C): per parameter, the change of every yield and sum over +-step sigma,
    divided by 2 step (0 where sigma is 0)."""
    out = np.zeros((at.size, len(layout.samples) + 1, layout.n_bins + len(layout.channels)))
    for i in np.flatnonzero(sigma > 0):
        up, down = at.copy(), at.copy()
        up[i] += step * sigma[i]
        down[i] -= step * sigma[i]
        change = expected_yields(backend, up, layout) - expected_yields(backend, down, layout)
        out[i] = _with_sums(change, layout) / (2.0 * step)
    return out


def propagate(backend, layout: YieldLayout, at: np.ndarray, sigma: np.ndarray,
              correlation: np.ndarray | None, propagation: str = "variations") -> np.ndarray:
    """Standard deviations (S + 1, B + C) of the yields and their sums (:func:`_with_sums`) at
    ``at``: linear propagation of uncertainties ``sigma`` with ``correlation`` (None: uncorrelated)."""
    v = _variations(backend, layout, at, sigma, 1.0 if propagation == "variations" else LINEAR_STEP)
    flat = v.reshape(at.size, -1)
    if correlation is None:
        variance = np.einsum("ik,ik->k", flat, flat)
    else:
        variance = np.einsum("ik,ij,jk->k", flat, correlation, flat, optimize=True)
    return np.sqrt(np.clip(variance, 0.0, None)).reshape(v.shape[1:])


def yields(model, fit=None, *, prefit: bool = False, propagation: str = "variations") -> YieldsResult:
    """Yields per channel, sample and bin with their standard deviations, pre-fit or post-fit.

    Parameters
    ----------
    model
        A :class:`likelihub.StatisticalModel`.
    fit
        The best fit with uncertainties (post-fit only); ``model.fit()`` where None.
    prefit
        Pre-fit yields: parameters at their pre-fit centres, bands from the pre-fit widths.
    propagation
        ``"variations"`` (+-1 sigma, cabinetry's) or ``"linear"`` (derivatives).

    Returns
    -------
    YieldsResult
    """
    prefit = check.flag(prefit, argument="prefit")
    propagation = check.choice(propagation, argument="propagation", choices=PROPAGATIONS)
    backend = model.backend
    layout = yield_layout(backend)
    if prefit:
        start = prefit_parameters(backend)
        at, sigma, correlation = start.centre, start.width, None
    else:
        fit = best_fit(model, fit)
        at = np.array(fit.values, dtype=float)
        sigma = np.array(fit.uncertainties, dtype=float)
        correlation = correlation_matrix(np.asarray(fit.covariance, dtype=float))
    central = _with_sums(expected_yields(backend, at, layout), layout)
    stdev = propagate(backend, layout, at, sigma, correlation, propagation)
    n_samples, n_bins = len(layout.samples), layout.n_bins
    return YieldsResult(
        label="pre-fit" if prefit else "post-fit", channels=layout.channels, bins=layout.bins,
        samples=layout.samples, yields=central[:n_samples, :n_bins], stdev=stdev[:n_samples, :n_bins],
        total=central[n_samples, :n_bins], total_stdev=stdev[n_samples, :n_bins],
        channel_yields=central[:n_samples, n_bins:], channel_stdev=stdev[:n_samples, n_bins:],
        channel_total=central[n_samples, n_bins:], channel_total_stdev=stdev[n_samples, n_bins:],
        data=np.asarray(model.data, dtype=float)[:n_bins], parameters=at, propagation=propagation)
