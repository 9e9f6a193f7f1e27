"""The result of a maximum-likelihood fit (:func:`likelihub.fits.engine.fit`)."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field

import numpy as np

__all__ = ["FitResult"]


@dataclass
class FitResult:
    """The outcome of one maximum-likelihood fit.

    Attributes
    ----------
    values
        Best-fit value of every parameter (fixed ones at their fixed values).
    uncertainties
        Standard errors from the inverse Hessian (0 for fixed parameters), or None if not computed.
    nll
        -log L at the minimum.
    converged
        True when the minimum passed the EDM check (or, at a fixed POI value where -log L is +inf
        whatever the other parameters, where the limit of :func:`likelihub.fits.engine.fit` was
        reached: ``nll`` is inf then).
    edm
        Estimated distance to the minimum, 1/2 g^T H^-1 g over the free parameters.
    n_evaluations
        Number of likelihood evaluations spent (all attempts).
    parameter_names, fixed
        Names of the parameters, and which were held fixed.
    method
        The minimiser (and attempt) that produced the minimum.
    """

    values: np.ndarray
    uncertainties: np.ndarray | None
    nll: float
    converged: bool
    edm: float
    n_evaluations: int
    parameter_names: tuple[str, ...]
    fixed: np.ndarray
    method: str
    covariance: np.ndarray | None = field(default=None, repr=False)

    @property
    def twice_nll(self) -> float:
        """-2 log L at the minimum."""
        return 2.0 * self.nll

    def __getitem__(self, name: str) -> float:
        return float(self.values[self.parameter_names.index(name)])

    def to_dict(self) -> dict:
        """Plain-Python dictionary (JSON-serialisable)."""
        out = asdict(self)
        out.pop("covariance")
        for key, value in out.items():
            if isinstance(value, np.ndarray):
                out[key] = value.tolist()
        out["parameter_names"] = list(self.parameter_names)
        return out

    def to_json(self, **kwargs) -> str:
        """JSON text of :meth:`to_dict`."""
        return json.dumps(self.to_dict(), **kwargs)

    def __str__(self) -> str:
        status = "converged" if self.converged else "NOT CONVERGED"
        lines = [f"FitResult: -log L = {self.nll:.6f} ({status}, EDM {self.edm:.1e}, "
                 f"{self.n_evaluations} evaluations, {self.method})"]
        width = max(len(n) for n in self.parameter_names) if self.parameter_names else 0
        for i, name in enumerate(self.parameter_names):
            if self.fixed[i]:
                err = "fixed"
            elif self.uncertainties is None:
                err = ""
            else:
                err = f"+/- {self.uncertainties[i]:.6g}"
            lines.append(f"  {name:<{width}}  {self.values[i]: .6g}  {err}")
        return "\n".join(lines)
