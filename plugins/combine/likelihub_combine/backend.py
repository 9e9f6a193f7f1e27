"""The ``combine.datacard`` backend: Combine's likelihood of a text datacard.

    -log L = sum over bins (nu - n log nu + log n!) + constraint terms

with the Gaussian constraints 0.5 ((theta - theta_In) / sigma)^2 (+ their normalisation), the
Poisson constraints of gmN and of autoMCStats' per-process counts, and the data laid out as the
core expects: the bins of every channel (card order), then one global observable per constrained
parameter (in parameter order). Asimov data built from ``expected_data`` set each global
observable to its parameter's value, which is Combine's a-posteriori Asimov (``toysFrequentist``).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
from scipy.special import gammaln

from likelihub.errors import InvalidArgumentError, InvalidModelError
from likelihub.plugin import DataLayout, ModelConfig

from .build import Built, build_model
from .card import Datacard
from .parser import read_datacard

__all__ = ["CombineDatacard", "datacard"]

_LOG_SQRT_2PI = 0.5 * np.log(2 * np.pi)


class CombineDatacard:
    """Combine's likelihood of a parsed datacard (see :func:`datacard` for the factory)."""

    def __init__(self, card: Datacard, built: Built):
        self.card = card
        self.built = built
        table = built.table.items
        self.parameter_names = [p.name for p in table]
        self.n_main = built.observed.size
        constrained = [i for i, p in enumerate(table) if p.constraint is not None]
        self._normal = np.array([i for i in constrained if table[i].constraint == "normal"], int)
        self._poisson = np.array([i for i in constrained if table[i].constraint == "poisson"], int)
        order = {i: j for j, i in enumerate(constrained)}
        self._normal_aux = self.n_main + np.array([order[i] for i in self._normal], int)
        self._poisson_aux = self.n_main + np.array([order[i] for i in self._poisson], int)
        self._sigma_low = np.array([table[i].sigma_low for i in self._normal])
        self._sigma_high = np.array([table[i].sigma_high for i in self._normal])
        centers = np.array([table[i].center for i in constrained])
        self.data = np.concatenate([built.observed, centers])
        kinds = ["poisson"] * self.n_main + [
            ("normal" if table[i].constraint == "normal" else "poisson") for i in constrained
        ]
        widths = np.ones(len(kinds))
        for j, i in enumerate(constrained):
            widths[self.n_main + j] = table[i].sigma_high
        fixed = [p.name in built.frozen for p in table]
        self.config = ModelConfig(
            parameter_names=self.parameter_names,
            poi_index=0,
            init=[p.init for p in table],
            bounds=[(p.low, p.high) for p in table],
            fixed=fixed,
            n_main=self.n_main,
            data_layout=DataLayout(kinds, widths),
        )

    # -- the contract ------------------------------------------------------------------------
    def expected_main(self, pars: np.ndarray) -> np.ndarray:
        """Expected events in every bin at ``pars``."""
        built = self.built
        pars = np.asarray(pars, dtype=float)
        yields = built.yields
        factors = yields.factors(pars)
        per_column = (yields.norm * factors)[:, None] * yields.shapes(pars)
        nu = per_column.sum(axis=0)
        if built.mc_stats is not None:
            coefficient = yields.norm * factors / built.mc_stats.integrals
            built.mc_stats.add(nu, per_column, coefficient, pars)
        return nu

    def expected_data(self, pars: np.ndarray) -> np.ndarray:
        """Expected bins, then each constrained parameter's value as its global observable."""
        pars = np.asarray(pars, dtype=float)
        aux = np.empty(self.data.size - self.n_main)
        aux[self._normal_aux - self.n_main] = pars[self._normal]
        aux[self._poisson_aux - self.n_main] = pars[self._poisson]
        return np.concatenate([self.expected_main(pars), aux])

    def logpdf(self, pars: np.ndarray, data: np.ndarray) -> float:
        """The log-likelihood of ``data`` (bins then global observables) at ``pars``."""
        pars = np.asarray(pars, dtype=float)
        data = np.asarray(data, dtype=float)
        nu = np.maximum(self.expected_main(pars), 1e-300)
        observed = data[: self.n_main]
        value = float(np.sum(observed * np.log(nu) - nu - gammaln(observed + 1.0)))
        if self._normal.size:
            theta = pars[self._normal]
            center = data[self._normal_aux]
            sigma = np.where(theta < center, self._sigma_low, self._sigma_high)
            value -= float(
                np.sum(
                    0.5 * ((theta - center) / sigma) ** 2
                    + np.log(0.5 * (self._sigma_low + self._sigma_high))
                    + _LOG_SQRT_2PI
                )
            )
        if self._poisson.size:
            mean = np.maximum(pars[self._poisson], 1e-300)
            count = data[self._poisson_aux]
            value += float(np.sum(count * np.log(mean) - mean - gammaln(count + 1.0)))
        return value

    def sample(self, pars: np.ndarray, size: int, rng: np.random.Generator) -> np.ndarray:
        """``size`` pseudo-data sets at ``pars``: Poisson bins, global observables drawn around
        the parameters (Gaussian, bifurcated where sigma is asymmetric; Poisson for gmN)."""
        expected = self.expected_data(pars)
        toys = np.empty((size, expected.size))
        toys[:, : self.n_main] = rng.poisson(expected[: self.n_main], (size, self.n_main))
        if self._normal.size:
            center = expected[self._normal_aux]
            draws = rng.standard_normal((size, self._normal.size))
            toys[:, self._normal_aux] = (
                center + np.where(draws < 0, self._sigma_low, self._sigma_high) * draws
            )
        if self._poisson.size:
            toys[:, self._poisson_aux] = rng.poisson(expected[self._poisson_aux], (size, self._poisson.size))
        return toys

    def describe(self) -> str:
        """A summary of the card for ``likelihub inspect``."""
        card = self.card
        kinds = {}
        for item in self.built.table.items[1:]:
            kinds[item.origin] = kinds.get(item.origin, 0) + 1
        parts = ", ".join(f"{count} {kind}" for kind, count in kinds.items())
        return (
            f"Combine datacard {card.path or '<text>'}: {len(card.channels)} channels, {self.n_main} bins, "
            f"{len(card.processes)} processes ({', '.join(card.signals)} signal); POI r; "
            f"{len(self.parameter_names) - 1} other parameters ({parts})"
        )


def datacard(
    card: str | Path | Datacard,
    *,
    mass: str | float | None = None,
    freeze: list[str] | None = None,
    r_range: tuple[float, float] = (0.0, 20.0),
) -> CombineDatacard:
    """Combine's likelihood of a text datacard, as ``text2workspace.py`` with the default physics
    model builds it.

    Parameters
    ----------
    card
        The datacard's file (or a parsed :class:`~likelihub_combine.card.Datacard`).
    mass
        The value of ``$MASS`` in the card's ``shapes`` lines (Combine's ``-m``).
    freeze
        Parameters held at their initial values (Combine's ``--freezeParameters``).
    r_range
        The range of the POI ``r`` (Combine's ``--rMin``, ``--rMax``; default [0, 20]).

    Raises
    ------
    InvalidModelError
        A malformed card or a missing template, naming the file and line, channel, process and
        systematic.
    """
    from .shapes import read_templates

    parsed = card if isinstance(card, Datacard) else read_datacard(card)
    mass_text = None if mass is None else (f"{mass:g}" if isinstance(mass, float) else str(mass))
    templates = read_templates(parsed, mass=mass_text) if any(r.file != "FAKE" for r in parsed.shapes) else {}
    built = build_model(parsed, templates)
    low, high = (float(x) for x in r_range)
    if not low < high or not low <= 1.0 <= high and not low <= 0.0 <= high:
        raise InvalidArgumentError(
            f"r_range ({low}, {high}) must be increasing and hold 0 or 1", argument="r_range"
        )
    poi = built.table.get("r")
    poi.low, poi.high = low, high
    poi.init = min(max(poi.init, low), high)
    for edit in parsed.edits:  # nuisance edit freeze <regex> [ifexists]; other edits are not yet applied
        where = parsed.where(edit.line)
        if edit.action != "freeze" or not edit.arguments:
            raise InvalidModelError(
                f"'nuisance edit {edit.action}' is not supported yet (only freeze)", file=where
            )
        pattern = re.compile(edit.arguments[0])
        names = [p.name for p in built.table.items if pattern.fullmatch(p.name)]
        if not names and "ifexists" not in edit.arguments[1:]:
            raise InvalidModelError(
                f"nuisance edit freeze: no parameter matches {edit.arguments[0]!r}", file=where
            )
        built.frozen.update(names)
    for name in freeze or []:
        if name not in built.table:
            raise InvalidArgumentError(f"no parameter {name!r} in the card", argument="freeze")
        built.frozen.add(name)
    return CombineDatacard(parsed, built)
