"""The ``combine.datacard`` backend: Combine's likelihood of a text datacard.

    -log L = sum over bins (nu - n log nu + log n!) + constraint terms

with the Gaussian constraints 0.5 ((theta - theta_In) / sigma)^2 (+ their normalisation), the
Poisson constraints of gmN and of autoMCStats' per-process counts, and the data laid out as the
core expects: the bins of every channel (card order), then one global observable per constrained
parameter (in parameter order). Asimov data built from ``expected_data`` set each global
observable to its parameter's value, which is Combine's a-posteriori Asimov (``toysFrequentist``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
from scipy.special import gammaln

from likelihub.plugin import DataLayout, ModelConfig

from .build import Built, build_model
from .card import Datacard
from .edits import apply_edits
from .inputs import CardSource, append_lines, read_cards
from .parameter_options import apply_parameter_options
from .physics_model import physics_model

__all__ = ["CombineDatacard", "datacard"]

_LOG_SQRT_2PI = 0.5 * np.log(2 * np.pi)


class CombineDatacard:
    """Combine's likelihood of a parsed datacard (see :func:`datacard` for the factory)."""

    def __init__(
        self,
        card: Datacard,
        built: Built,
        *,
        poi_index: int = 0,
        groups: dict[str, tuple[str, ...]] | None = None,
    ):
        self.card = card
        self.built = built
        #: The card's groups of nuisance parameters (``group`` lines, and ``autoMCStats``).
        self.groups = dict(groups or {})
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
            poi_index=poi_index,
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
            f"Combine datacard {card.title or card.path or '<text>'}: {len(card.channels)} channels, "
            f"{self.n_main} bins, {len(card.processes)} processes ({', '.join(card.signals)} signal); "
            f"POI {self.config.poi_name}; {len(self.parameter_names) - 1} other parameters ({parts})"
        )


def datacard(
    card: CardSource | Mapping[str, CardSource] | Sequence[CardSource],
    *,
    mass: str | float | None = None,
    extra_lines: str | Path | Sequence[str] | None = None,
    physics_options: Sequence[str] | None = None,
    pois: str | Sequence[str] | None = None,
    r_range: tuple[float, float] | None = None,
    parameter_ranges: Mapping[str, tuple[float, float]] | None = None,
    set_parameters: Mapping[str, float] | None = None,
    float_parameters: str | Sequence[str] | None = None,
    freeze: str | Sequence[str] | None = None,
    freeze_groups: str | Sequence[str] | None = None,
) -> CombineDatacard:
    """Combine's likelihood of a text datacard (or of several, combined), as ``text2workspace.py``
    builds it, with Combine's options on the parameters.

    Parameters
    ----------
    card
        The datacard's file (or a parsed :class:`~likelihub_combine.card.Datacard`); or several
        to combine as ``combineCards.py`` does: ``{"label": "card.txt", ...}`` (channels named
        ``label``, or ``label_<bin>`` for a multi-bin card) or a list (labels ``ch1``, ``ch2``...,
        or ``"label=card.txt"`` items).
    mass
        The value of ``$MASS`` in the card's ``shapes`` lines (Combine's ``-m``).
    extra_lines
        Datacard lines appended to the (combined) card: a file, or a list of lines (e.g. the
        ``rateParam`` lines of the long exercise's ``rateParams.txt``).
    physics_options
        ``--PO`` options of Combine's multi-signal model (``map=bin/process:poi[init,min,max]``,
        ``turnoff=...``); None: the default model, ``r`` scaling every signal process.
    pois
        ``--redefineSignalPOIs``: the POI likelihub tests is the first name (default: the
        physics model's first POI); others float as ordinary parameters.
    r_range
        ``--rMin``, ``--rMax``: the range of the physics model's first POI (default [0, 20]).
    parameter_ranges
        ``--setParameterRanges``: {name: (low, high)}; names may be ``rgx{regex}``.
    set_parameters
        ``--setParameters``: {name: value}, initial values (frozen parameters stay there).
    float_parameters, freeze, freeze_groups
        ``--floatParameters``, ``--freezeParameters``, ``--freezeNuisanceGroups`` (in that order
        of priority: freezing wins); names, ``rgx{regex}``, ``var{regex}``,
        ``allConstrainedNuisances`` (freeze), ``all`` (float); a group ``^name`` freezes the
        nuisances outside it. See :mod:`likelihub_combine.parameter_options`.

    Raises
    ------
    InvalidModelError
        A malformed card or a missing template, naming the file and line, channel, process and
        systematic; cards that disagree on a systematic, naming both.
    InvalidArgumentError
        An option naming no parameter, a map pattern matching no process, and the like.
    """
    from .shapes import read_templates

    parsed = read_cards(card)
    if extra_lines is not None:
        parsed = append_lines(parsed, extra_lines)
    parsed = apply_edits(parsed)
    physics = physics_model(physics_options, parsed)
    mass_text = None if mass is None else (f"{mass:g}" if isinstance(mass, float) else str(mass))
    templates = read_templates(parsed, mass=mass_text) if any(r.file != "FAKE" for r in parsed.shapes) else {}
    built = build_model(parsed, templates, physics=physics)
    poi_index, groups = apply_parameter_options(
        built,
        parsed,
        r_range=r_range,
        parameter_ranges=parameter_ranges,
        set_parameters=set_parameters,
        pois=pois,
        float_parameters=float_parameters,
        freeze=freeze,
        freeze_groups=freeze_groups,
    )
    return CombineDatacard(parsed, built, poi_index=poi_index, groups=groups)
