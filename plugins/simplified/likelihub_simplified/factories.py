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

import numpy as np

from likelihub import StatisticalModel
from likelihub.errors import InvalidModelError

from .counting import CountingBackend
from .factory_inputs import Signal, bin_names_of, check_poi_names, poi_bounds, signal_inputs
from .gaussian import GaussianBackend
from .moments import covariance_to_correlation, third_moment_expansion
from .shifts import LinearShift, QuadraticShift, VariableGaussianShift
from .signal_uncertainties import SignalUncertainties, parse_signal_uncertainties
from .validation import as_correlation, as_covariance, as_positive

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

def _counting(signal: Signal, background, observed, *, shift, correlation, signal_uncertainties, bin_names,
              label):
    names = bin_names_of(bin_names, background.size)
    nuisances = parse_signal_uncertainties(signal_uncertainties, signal.names, signal.components)
    if shift is not None:
        check_poi_names(signal, [f"theta_{b}" for b in (names or range(background.size))])
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

    Returns
    -------
    likelihub.StatisticalModel
        The model: POI ``mu`` (or one per signal component).

    Raises
    ------
    likelihub.errors.InvalidModelError
        Inputs of the wrong shape, with non-finite or invalid values; the message names
        the argument (``InvalidArgumentError`` for a wrong type or an invalid choice).

    Examples
    --------
    >>> import likelihub as lh
    >>> model = lh.get_backend("simplified.poisson")(signal_yields=[5.0], background_yields=[10.0],
    ...                                              data=[12])
    >>> round(model.fit()["mu"], 3)  # closed form: (n - b) / s
    0.4
    """
    signal, background, observed = signal_inputs(signal_yields, background_yields, data)
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

    Returns
    -------
    likelihub.StatisticalModel
        The model: POI ``mu`` (or one per signal component).

    Raises
    ------
    likelihub.errors.InvalidModelError
        Inputs of the wrong shape, with non-finite or invalid values; the message names
        the argument (``InvalidArgumentError`` for a wrong type or an invalid choice).

    Examples
    --------
    >>> import likelihub as lh
    >>> model = lh.get_backend("simplified.normal")(signal_yields=[5.0], background_yields=[10.0],
    ...                                             data=[12], absolute_uncertainties=[2.0])
    >>> round(model.fit()["mu"], 3)  # closed form: (n - b) / s
    0.4
    """
    signal, background, observed = signal_inputs(signal_yields, background_yields, data, counts=False)
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

    Returns
    -------
    likelihub.StatisticalModel
        The model: POI ``mu`` (or one per signal component).

    Raises
    ------
    likelihub.errors.InvalidModelError
        Inputs of the wrong shape, with non-finite or invalid values (a covariance that is not
        positive definite); the message names the argument (``InvalidArgumentError`` for a wrong
        type or an invalid choice).

    Examples
    --------
    >>> import likelihub as lh
    >>> model = lh.get_backend("simplified.multivariate_normal")(
    ...     signal_yields=[5.0, 5.0], background_yields=[10.0, 10.0], data=[12, 14],
    ...     covariance_matrix=[[4.0, 0.0], [0.0, 4.0]])
    >>> round(model.fit()["mu"], 3)  # closed form: sum s (n - b) / sum s^2 (equal variances)
    0.6
    """
    signal, background, observed = signal_inputs(signal_yields, background_yields, data, counts=False)
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

    Returns
    -------
    likelihub.StatisticalModel
        The model: POI ``mu`` (or one per signal component), then ``theta_<bin>``.

    Raises
    ------
    likelihub.errors.InvalidModelError
        Inputs of the wrong shape, with non-finite or invalid values; the message names
        the argument (``InvalidArgumentError`` for a wrong type or an invalid choice).

    Examples
    --------
    >>> import likelihub as lh
    >>> model = lh.get_backend("simplified.uncorrelated_background")(
    ...     signal_yields=[5.0], background_yields=[10.0], data=[12], absolute_uncertainties=[2.0])
    >>> model.config.parameter_names
    ('mu', 'theta_0')
    """
    signal, background, observed = signal_inputs(signal_yields, background_yields, data)
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

    Returns
    -------
    likelihub.StatisticalModel
        The model: POI ``mu`` (or one per signal component), then ``theta_<bin>``.

    Raises
    ------
    likelihub.errors.InvalidModelError
        Inputs of the wrong shape, with non-finite or invalid values (a covariance that is not
        positive definite); the message names the argument (``InvalidArgumentError`` for a wrong
        type or an invalid choice).

    Examples
    --------
    >>> import likelihub as lh
    >>> model = lh.get_backend("simplified.correlated_background")(
    ...     signal_yields=[5.0, 5.0], background_yields=[10.0, 10.0], data=[12, 14],
    ...     covariance_matrix=[[4.0, 1.0], [1.0, 4.0]])
    >>> model.config.parameter_names
    ('mu', 'theta_0', 'theta_1')
    """
    signal, background, observed = signal_inputs(signal_yields, background_yields, data)
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

    Returns
    -------
    likelihub.StatisticalModel
        The model: POI ``mu`` (or one per signal component), then ``theta_<bin>``.

    Raises
    ------
    likelihub.errors.InvalidModelError
        Inputs of the wrong shape, with non-finite or invalid values (bins whose third moment is
        too large for their variance); the message names the argument (``InvalidArgumentError``
        for a wrong type or an invalid choice).

    Examples
    --------
    >>> import likelihub as lh
    >>> model = lh.get_backend("simplified.third_moment_expansion")(
    ...     signal_yields=[5.0, 5.0], background_yields=[10.0, 10.0], data=[12, 14],
    ...     covariance_matrix=[[4.0, 1.0], [1.0, 4.0]], third_moment=[1.0, 1.0])
    >>> model.config.parameter_names
    ('mu', 'theta_0', 'theta_1')
    """
    signal, background, observed = signal_inputs(signal_yields, background_yields, data)
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

    Returns
    -------
    likelihub.StatisticalModel
        The model: POI ``mu`` (or one per signal component), then ``theta_<bin>``.

    Raises
    ------
    likelihub.errors.InvalidModelError
        Inputs of the wrong shape, with non-finite or invalid values; the message names
        the argument (``InvalidArgumentError`` for a wrong type or an invalid choice).

    Examples
    --------
    >>> import likelihub as lh
    >>> model = lh.get_backend("simplified.effective_sigma")(
    ...     signal_yields=[5.0, 5.0], background_yields=[10.0, 10.0], data=[12, 14],
    ...     correlation_matrix=[[1.0, 0.25], [0.25, 1.0]],
    ...     absolute_uncertainty_envelopes=[[2.5, 1.5], [2.5, 1.5]])
    >>> model.config.parameter_names
    ('mu', 'theta_0', 'theta_1')
    """
    signal, background, observed = signal_inputs(signal_yields, background_yields, data)
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
