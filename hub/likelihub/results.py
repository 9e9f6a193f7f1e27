"""Result dataclasses of the inference methods: they print well and convert to dict/JSON."""

from __future__ import annotations

import json
from dataclasses import dataclass, fields

import numpy as np

__all__ = ["CLsResult", "UpperLimitResult", "SignificanceResult", "CLsScanResult", "IntervalResult",
           "N_SIGMA", "BANDS", "band_n_sigma"]

#: The expected band's standard deviations, in the order pyhf returns them (CLs ascending).
N_SIGMA = (-2, -1, 0, 1, 2)

#: The expected bands, each as the cumulative probabilities of its five quantiles of the
#: background-only distribution (ascending CLs, ascending limits): ``"sigma"`` at -2..+2 standard
#: deviations (pyhf, cabinetry, spey: Phi(-2) = 0.0228 ... Phi(2) = 0.9772), ``"percentiles"`` at
#: 2.5, 16, 50, 84 and 97.5% (CMS Combine's AsymptoticLimits and HybridNew ``--expectedFromGrid``).
BANDS = {
    "sigma": (0.022750131948179195, 0.15865525393145707, 0.5, 0.8413447460685429, 0.9772498680518208),
    "percentiles": (0.025, 0.16, 0.5, 0.84, 0.975),
}


def band_n_sigma(band: str) -> np.ndarray:
    """The band's quantiles as standard deviations n = Phi^-1(p) (-2..2 for ``"sigma"``)."""
    if band == "sigma":
        return np.array(N_SIGMA, dtype=float)
    from scipy.special import ndtri

    return ndtri(np.array(BANDS[band], dtype=float))


def _plain(value):
    """``value`` as plain Python: arrays and tuples as lists, NumPy scalars as Python ones, a result
    (anything with ``to_dict``) as its dictionary."""
    if hasattr(value, "to_dict"):
        return value.to_dict()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


class _Serialisable:
    """``to_dict`` and ``to_json`` of a result dataclass, field by field in their order."""

    #: How a field's value becomes plain Python (:func:`_plain`; a subclass may give its own).
    _plain_value = staticmethod(_plain)

    def to_dict(self) -> dict:
        """Plain-Python dictionary (JSON-serialisable)."""
        return {f.name: self._plain_value(getattr(self, f.name)) for f in fields(self)}

    def to_json(self, **kwargs) -> str:
        """JSON text of :meth:`to_dict`."""
        return json.dumps(self.to_dict(), **kwargs)


def _band_name(band: str) -> str:
    return "2.5..97.5%" if band == "percentiles" else "-2..+2 sigma"


def _band(values) -> str:
    if values is None:
        return "n/a"
    return "[" + ", ".join(f"{v:.4g}" for v in values) + "]"


@dataclass
class CLsResult(_Serialisable):
    """CLs at one value of the signal strength.

    Attributes
    ----------
    mu
        Tested signal strength.
    cls_obs, clsb_obs, clb_obs
        Observed CLs, CLs+b and CLb (None when only the expected band was asked for).
    cls_exp
        Expected CLs at the five quantiles of ``band`` (ascending), or None.
    test_statistic, calculator
        Which test statistic ("qtilde", "q") and calculator ("asymptotic", "toys", "chi2").
    test_statistic_obs, test_statistic_asimov
        Observed and Asimov values of the test statistic (asymptotic calculator).
    uncertainty_obs, uncertainty_exp
        Statistical uncertainty of the toy estimates (toys only).
    ntoys, n_failed_fits
        Toys thrown per hypothesis, and toys whose fits failed (toys only).
    band
        The expected band's quantiles: ``"sigma"`` (-2..+2 sigma) or ``"percentiles"`` (2.5, 16,
        50, 84, 97.5%), see :data:`BANDS`.
    """

    mu: float
    cls_obs: float | None
    cls_exp: list[float] | None
    clsb_obs: float | None
    clb_obs: float | None
    test_statistic: str
    calculator: str
    test_statistic_obs: float | None = None
    test_statistic_asimov: float | None = None
    uncertainty_obs: float | None = None
    uncertainty_exp: list[float] | None = None
    ntoys: int | None = None
    n_failed_fits: int | None = None
    band: str = "sigma"

    def __str__(self) -> str:
        obs = "n/a" if self.cls_obs is None else f"{self.cls_obs:.6g}"
        if self.uncertainty_obs is not None and self.cls_obs is not None:
            obs += f" +/- {self.uncertainty_obs:.2g}"
        return (f"CLs at mu = {self.mu:g} ({self.calculator}, {self.test_statistic}): observed {obs}, "
                f"expected ({_band_name(self.band)}) {_band(self.cls_exp)}")


@dataclass
class CLsScanResult(_Serialisable):
    """CLs on a grid of signal strengths."""

    mu: list[float]
    cls_obs: list[float] | None
    cls_exp: list[list[float]] | None
    test_statistic: str
    calculator: str
    band: str = "sigma"

    def __str__(self) -> str:
        lines = [f"CLs scan ({self.calculator}, {self.test_statistic}):",
                 f"  mu          observed     expected ({_band_name(self.band)})"]
        for i, mu in enumerate(self.mu):
            obs = "n/a" if self.cls_obs is None else f"{self.cls_obs[i]:.6g}"
            exp = _band(None if self.cls_exp is None else self.cls_exp[i])
            lines.append(f"  {mu:<10.4g}  {obs:<11}  {exp}")
        return "\n".join(lines)


@dataclass
class UpperLimitResult(_Serialisable):
    """Upper limit on the signal strength at confidence level ``cl``.

    Attributes
    ----------
    observed
        Observed upper limit (None when not asked for).
    expected
        Expected upper limits at the five quantiles of ``band`` (ascending), or None.
    cl
        Confidence level, e.g. 0.95 (CLs = 1 - cl at the limit).
    band
        ``"sigma"`` (-2..+2 sigma) or ``"percentiles"`` (2.5..97.5%), see :data:`BANDS`.
    poi
        The name of the parameter limited ("mu" where unknown).
    """

    observed: float | None
    expected: list[float] | None
    cl: float
    test_statistic: str
    calculator: str
    band: str = "sigma"
    poi: str = "mu"

    def __str__(self) -> str:
        obs = "n/a" if self.observed is None else f"{self.observed:.6g}"
        return (f"{100 * self.cl:g}% CL upper limit on {self.poi} ({self.calculator}, "
                f"{self.test_statistic}): observed {obs}, "
                f"expected ({_band_name(self.band)}) {_band(self.expected)}")


@dataclass
class SignificanceResult(_Serialisable):
    """Discovery significance from q0.

    Attributes
    ----------
    z_obs, p_obs
        Observed significance (sigma) and p-value of the background-only hypothesis.
    z_exp, p_exp
        Expected (Asimov at the signal strength ``mu_asimov``) significance and p-value.
    """

    z_obs: float
    p_obs: float
    z_exp: float | None
    p_exp: float | None
    mu_asimov: float = 1.0

    def __str__(self) -> str:
        exp = "n/a" if self.z_exp is None else f"{self.z_exp:.4g} sigma (p = {self.p_exp:.4g})"
        return (f"Significance: observed {self.z_obs:.4g} sigma (p = {self.p_obs:.4g}), "
                f"expected at mu = {self.mu_asimov:g}: {exp}")


@dataclass
class IntervalResult(_Serialisable):
    """Profile-likelihood interval of one parameter, the others profiled (MINOS-like).

    Attributes
    ----------
    parameter
        The parameter's name.
    best_fit
        Its maximum-likelihood value.
    low, high
        The ends of the interval: where 2 Delta NLL crosses ``threshold``, or the parameter's
        bound where it comes first (``low_at_bound``, ``high_at_bound``).
    cl, threshold
        Confidence level and the chi-square quantile (1 dof) it corresponds to.
    nll_min
        -log L at the best fit.
    """

    parameter: str
    best_fit: float
    low: float
    high: float
    cl: float
    threshold: float
    nll_min: float
    low_at_bound: bool = False
    high_at_bound: bool = False

    def __str__(self) -> str:
        low = f"{self.low:.6g}" + (" (bound)" if self.low_at_bound else "")
        high = f"{self.high:.6g}" + (" (bound)" if self.high_at_bound else "")
        return (f"{self.parameter} = {self.best_fit:.6g} -{self.best_fit - self.low:.4g} "
                f"+{self.high - self.best_fit:.4g} ({100 * self.cl:.4g}% CL interval [{low}, {high}])")
