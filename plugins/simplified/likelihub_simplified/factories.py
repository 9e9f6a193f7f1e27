"""The backend factories registered by the plugin: validate inputs, build a backend, wrap it.

Every factory takes ``signal_yields, background_yields, data`` and its own arguments, and
returns a :class:`likelihub.StatisticalModel`. The signal strength mu is bounded below by
-min(b_i / s_i) over bins with s_i > 0, so that every nominal expected yield stays
non-negative, and above by 10 * max(sum n, sum b, 1) / sum s (far beyond any fit's reach).

``signal_yields`` may also be a mapping ``{poi_name: yields}`` of two or more signal components,
each with its own POI: the expected yields are sum_k mu_k s_k + b (+ the background shifts), the
model's POIs are the names in order (the first is tested; ``model.with_poi`` tests another), each
starts at 1 and has the bounds above computed for its component alone. Signal uncertainties are
not supported together with several components.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from likelihub import StatisticalModel
from likelihub.errors import InvalidArgumentError, InvalidModelError

from .counting import CountingBackend
from .gaussian import GaussianBackend
from .moments import covariance_to_correlation, third_moment_expansion
from .shifts import LinearShift, QuadraticShift, VariableGaussianShift
from .signal_uncertainties import SignalUncertainties, parse_signal_uncertainties
from .validation import as_correlation, as_counts, as_covariance, as_positive, as_yields

__all__ = [
    "poisson",
    "normal",
    "multivariate_normal",
    "uncorrelated_background",
    "correlated_background",
    "third_moment_expansion_model",
    "effective_sigma",
    "poi_bounds",
]

def poi_bounds(signal: np.ndarray, background: np.ndarray, observed: np.ndarray) -> tuple[float, float]:
    """(low, high) bounds of mu: the lowest mu with non-negative yields, and a far upper bound."""
    positive = signal > 0
    total = float(signal[positive].sum())
    if total == 0:
        return -10.0, 10.0
    low = -float(np.min(background[positive] / signal[positive]))
    high = 10.0 * max(float(np.sum(np.abs(observed))), float(np.sum(background)), 1.0) / total
    return low, high


class Signal:
    """The validated signal: one component ``mu`` (``yields`` shape (N,)) or several (K, N)."""

    def __init__(self, names: tuple[str, ...], yields: np.ndarray):
        self.names = names
        self.yields = yields

    @property
    def components(self) -> np.ndarray:
        """(K, N): one row per component."""
        return np.atleast_2d(self.yields)

    def bounds(self, background: np.ndarray, observed: np.ndarray) -> list[tuple[float, float]]:
        """:func:`poi_bounds` of each component alone."""
        return [poi_bounds(s, background, observed) for s in self.components]


def _signal(signal_yields, n: int) -> Signal:
    """``signal_yields``: one array (POI "mu") or a mapping {poi_name: yields} of two or more components."""
    if not isinstance(signal_yields, Mapping):
        return Signal(("mu",), as_yields(signal_yields, "signal_yields", n))
    if len(signal_yields) < 2:
        raise InvalidArgumentError(
            f"a mapping of signal components needs two or more {{poi_name: yields}} entries, got "
            f"{len(signal_yields)}; pass one component as an array (its POI is 'mu')",
            argument="signal_yields")
    names = []
    for name in signal_yields:
        if not isinstance(name, str) or not name.isidentifier():
            raise InvalidArgumentError(f"POI names must be identifiers (strings), got {name!r}",
                                       argument="signal_yields")
        names.append(name)
    rows = [as_yields(values, f"signal_yields[{name!r}]", n) for name, values in signal_yields.items()]
    return Signal(tuple(names), np.array(rows))


def _check_names(signal: Signal, others) -> None:
    """POI names must not be those of other parameters."""
    clash = sorted(set(signal.names) & set(others))
    if clash:
        raise InvalidArgumentError(f"POI names {clash} are also names of other parameters of the model",
                                   argument="signal_yields")


def _inputs(signal_yields, background_yields, data, counts: bool = True):
    background = as_yields(background_yields, "background_yields")
    n = background.size
    if n == 0:
        raise InvalidModelError("no bins", argument="background_yields")
    signal = _signal(signal_yields, n)
    observed = as_counts(data, "data", n) if counts else as_yields(data, "data", n)
    return signal, background, observed


def _bin_names(bin_names, n: int) -> list[str] | None:
    if bin_names is None:
        return None
    names = [str(b) for b in bin_names]
    if len(names) != n:
        raise InvalidModelError(f"has {len(names)} names for {n} bins", argument="bin_names")
    return names


def _counting(signal: Signal, background, observed, *, shift, correlation, signal_uncertainties, bin_names,
              label):
    names = _bin_names(bin_names, background.size)
    nuisances = parse_signal_uncertainties(signal_uncertainties, signal.names, signal.components)
    if shift is not None:
        _check_names(signal, [f"theta_{b}" for b in (names or range(background.size))])
    backend = CountingBackend(
        signal.yields, background, observed, background_shift=shift, correlation=correlation,
        signal_nuisances=nuisances, bin_names=names, poi_bounds=signal.bounds(background, observed),
        label=label, poi_names=signal.names,
    )
    return StatisticalModel(backend)


def _gaussian(signal: Signal, background, observed, covariance, label):
    backend = GaussianBackend(signal.yields, background, observed, covariance,
                              signal.bounds(background, observed), label=label, poi_names=signal.names)
    return StatisticalModel(backend)


def poisson(signal_yields, background_yields, data, *, bin_names=None) -> StatisticalModel:
    """prod_i Pois(n_i | mu s_i + b_i): no nuisance parameters.

    Parameters
    ----------
    signal_yields, background_yields
        Expected signal (at mu = 1) and background per bin; the signal may be a mapping
        {poi_name: yields} of several components (see the module docstring).
    data
        Observed counts per bin.
    bin_names
        Optional names of the bins.
    """
    signal, background, observed = _inputs(signal_yields, background_yields, data)
    return _counting(signal, background, observed, shift=None, correlation=None, signal_uncertainties=None,
                     bin_names=bin_names, label="Poisson counting")


def normal(signal_yields, background_yields, data, absolute_uncertainties) -> StatisticalModel:
    """prod_i N(n_i | mu s_i + b_i, sigma_i): Gaussian yields with known widths.

    Parameters
    ----------
    signal_yields, background_yields, data
        Per-bin signal (an array, or a {poi_name: yields} mapping), background and observed
        yields (data need not be counts).
    absolute_uncertainties
        sigma_i per bin (positive).
    """
    signal, background, observed = _inputs(signal_yields, background_yields, data, counts=False)
    sigma = as_positive(absolute_uncertainties, "absolute_uncertainties", background.size)
    return _gaussian(signal, background, observed, np.diag(sigma**2), "normal")


def multivariate_normal(signal_yields, background_yields, data, covariance_matrix, *,
                        regularize_covariance: float | None = None) -> StatisticalModel:
    """MVN(n | mu s + b, Sigma).

    Parameters
    ----------
    signal_yields, background_yields, data
        Per-bin signal (an array, or a {poi_name: yields} mapping), background and observed
        yields (data need not be counts).
    covariance_matrix
        Sigma, symmetric positive definite.
    regularize_covariance
        Explicit opt-in: add this fraction of the diagonal to Sigma.
    """
    signal, background, observed = _inputs(signal_yields, background_yields, data, counts=False)
    covariance = as_covariance(covariance_matrix, "covariance_matrix", background.size, regularize_covariance)
    return _gaussian(signal, background, observed, covariance, "multivariate normal")


def uncorrelated_background(signal_yields, background_yields, data, absolute_uncertainties, *,
                            signal_uncertainties: SignalUncertainties = None,
                            bin_names=None) -> StatisticalModel:
    """prod_i Pois(n_i | mu s_i + b_i + sigma_i theta_i) N(theta_i | 0, 1).

    Parameters
    ----------
    signal_yields, background_yields, data
        Per-bin signal (an array, or a {poi_name: yields} mapping), background and observed counts.
    absolute_uncertainties
        sigma_i, the background uncertainty of each bin (positive).
    signal_uncertainties
        Optional list of {"type": "normalisation" | "shape", "uncertainties": per-bin sigma or
        (up, down) pairs, "name": str}: absolute signal uncertainties, each a constrained nuisance.
    bin_names
        Optional names of the bins.
    """
    signal, background, observed = _inputs(signal_yields, background_yields, data)
    sigma = as_positive(absolute_uncertainties, "absolute_uncertainties", background.size)
    return _counting(signal, background, observed, shift=LinearShift(sigma), correlation=None,
                     signal_uncertainties=signal_uncertainties, bin_names=bin_names,
                     label="uncorrelated background")


def correlated_background(signal_yields, background_yields, data, covariance_matrix, *,
                          signal_uncertainties: SignalUncertainties = None, bin_names=None,
                          regularize_covariance: float | None = None) -> StatisticalModel:
    """CMS-NOTE-2017-001: prod_i Pois(n_i | mu s_i + b_i + delta_i), delta ~ MVN(0, Sigma).

    Parametrised with standardised nuisances, delta_i = sigma_i theta_i with sigma_i = sqrt(Sigma_ii)
    and theta ~ MVN(0, rho), rho the correlation matrix of Sigma (the same likelihood, better
    conditioned fits).

    Parameters
    ----------
    signal_yields, background_yields, data
        Per-bin signal (an array, or a {poi_name: yields} mapping), background and observed counts.
    covariance_matrix
        Sigma, the background covariance (events squared), symmetric positive definite.
    signal_uncertainties
        Optional signal uncertainties (see :func:`uncorrelated_background`).
    bin_names
        Optional names of the bins.
    regularize_covariance
        Explicit opt-in: add this fraction of the diagonal to Sigma.
    """
    signal, background, observed = _inputs(signal_yields, background_yields, data)
    covariance = as_covariance(covariance_matrix, "covariance_matrix", background.size, regularize_covariance)
    sigma = np.sqrt(np.diag(covariance))
    return _counting(signal, background, observed, shift=LinearShift(sigma),
                     correlation=covariance_to_correlation(covariance),
                     signal_uncertainties=signal_uncertainties, bin_names=bin_names,
                     label="correlated background (CMS-NOTE-2017-001)")


def third_moment_expansion_model(signal_yields, background_yields, data, covariance_matrix, third_moment, *,
                                 signal_uncertainties: SignalUncertainties = None, bin_names=None,
                                 ) -> StatisticalModel:
    """Buckley et al., arXiv:1809.05548: Pois(n_i | mu s_i + A_i + B_i theta_i + C_i theta_i^2).

    theta ~ MVN(0, rho).

    A, B, C and rho come from the first three moments (eqs. 2.9-2.12, see
    :func:`~likelihub_simplified.moments.third_moment_expansion`); bins where 8 m2_ii^3 < m3_i^2
    are an error that names them.

    Parameters
    ----------
    signal_yields, data
        Per-bin signal (an array, or a {poi_name: yields} mapping) and observed counts.
    background_yields
        m1, the mean background per bin.
    covariance_matrix
        m2, the background covariance.
    third_moment
        m3, the third central moment of each bin's background.
    signal_uncertainties, bin_names
        As for :func:`correlated_background`.
    """
    signal, background, observed = _inputs(signal_yields, background_yields, data)
    expansion = third_moment_expansion(background, covariance_matrix, third_moment)
    shift = QuadraticShift(offset=expansion.A - background, linear=expansion.B, quadratic=expansion.C)
    return _counting(signal, background, observed, shift=shift, correlation=expansion.rho,
                     signal_uncertainties=signal_uncertainties, bin_names=bin_names,
                     label="third-moment expansion (arXiv:1809.05548)")


def effective_sigma(signal_yields, background_yields, data, correlation_matrix,
                    absolute_uncertainty_envelopes, *, signal_uncertainties: SignalUncertainties = None,
                    bin_names=None) -> StatisticalModel:
    """Asymmetric background uncertainties through Barlow's variable Gaussian.

    lambda_i = mu s_i + b_i + delta_i(theta_i), theta ~ MVN(0, rho), where

        delta(theta) = theta (theta D + sqrt(theta^2 D^2 + 4 P)) / 2,  D = sigma+ - sigma-,  P = sigma+ sigma-

    solves theta = delta / sqrt(V(delta)) with Barlow's linear variance V(delta) = sigma+ sigma- +
    (sigma+ - sigma-) delta (R. Barlow, "Asymmetric errors", arXiv:physics/0406120, sec. 3.6). Profiled
    over theta, each bin's constraint is Barlow's ln L = -delta^2 / (2 V(delta)); delta(+1) = sigma+,
    delta(-1) = -sigma-. See :class:`~likelihub_simplified.shifts.VariableGaussianShift`.

    Parameters
    ----------
    signal_yields, background_yields, data
        Per-bin signal (an array, or a {poi_name: yields} mapping), background and observed counts.
    correlation_matrix
        rho, the correlation of the background nuisances.
    absolute_uncertainty_envelopes
        (sigma+, sigma-) per bin: shape (N, 2), positive.
    signal_uncertainties, bin_names
        As for :func:`correlated_background`.
    """
    signal, background, observed = _inputs(signal_yields, background_yields, data)
    n = background.size
    envelopes = np.array(absolute_uncertainty_envelopes, dtype=float)
    if envelopes.shape != (n, 2):
        raise InvalidModelError(f"must be one (sigma+, sigma-) pair per bin: shape {envelopes.shape}, "
                                f"expected ({n}, 2)", argument="absolute_uncertainty_envelopes")
    up = as_positive(envelopes[:, 0], "absolute_uncertainty_envelopes (sigma+)", n)
    down = as_positive(envelopes[:, 1], "absolute_uncertainty_envelopes (sigma-)", n)
    correlation = as_correlation(correlation_matrix, "correlation_matrix", n)
    return _counting(signal, background, observed, shift=VariableGaussianShift(up, down),
                     correlation=correlation, signal_uncertainties=signal_uncertainties,
                     bin_names=bin_names, label="effective sigma (variable Gaussian)")
