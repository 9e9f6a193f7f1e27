"""The ``combiner.correlated`` backend: a combination whose components share parameters.

For components L_k(theta_k) whose parameters are partly one parameter (``correlate``: see
:mod:`likelihub_combiner.sharing`), the combined likelihood counts each shared parameter's
constraint term once:

    log L(theta) = sum_k log L_k(theta_k) - sum_shared (m - 1) log C(a | theta),

with theta_k the component's parameters read from the combined theta (a POI shared as
``s_k mu``), m the number of components sharing the parameter and C its constraint term
(:mod:`likelihub.backend.constraints`, declared by each component's ``constraint_terms()``),
evaluated at the shared auxiliary datum a. The combined data hold that datum once; each
component's data are gathered from the combined data with it in its own slot. Gradients and
Hessians are the components' (scattered to the combined parameters) minus the closed-form
derivatives of the duplicated terms; Asimov data and toys are the components', the shared datum
written once. ``correlation`` turns pairs of Gaussian constraints into bivariate normals
(:mod:`likelihub_combiner.correlations`).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence

import numpy as np

from likelihub import ModelConfig, StatisticalModel
from likelihub.plugin import ConstraintSet, ConstraintTerm, optional_method

from .backend import UncorrelatedCombination, _components
from .correlations import correlated_pairs
from .layout import shared_layout
from .sharing import MergedParameter

__all__ = ["CorrelatedCombination", "combine_correlated"]

logger = logging.getLogger("likelihub.combiner")


class CorrelatedCombination(UncorrelatedCombination):
    """Likelihoods sharing parameters: each shared parameter once, its constraint counted once.

    Parameters
    ----------
    models, names, signal_scales
        As :class:`~likelihub_combiner.backend.UncorrelatedCombination`; here a component may lack
        a POI (a control region).
    correlate
        Which parameters are one: ``"names"``, a list of names, or a mapping
        ``{"atlas/lumi": "cms/lumi"}`` (:mod:`likelihub_combiner.sharing`); None: none but the POIs.
    shared_poi
        True (default): the components' POIs are one, ``s_k mu``; False: the combination's POI is
        the first component's, the others' POIs are ordinary parameters.
    correlation
        ``{("atlas/jes", "cms/jes"): 0.5}``: pairs of Gaussian-constrained parameters (combined
        names, or ``component/parameter``) whose constraints become one bivariate normal.

    Attributes
    ----------
    merged
        A :class:`~likelihub_combiner.sharing.MergedParameter` per shared parameter (POI included).
    components, offered_methods
        As the uncorrelated combination's; ``constraint_terms`` is offered where every component
        declares its terms and no ``correlation`` is given.
    """

    def __init__(self, models: Sequence, names: Sequence[str] | None = None,
                 signal_scales: Sequence[float] | Mapping[str, float] | None = None, correlate=None,
                 shared_poi: bool = True, correlation: Mapping[tuple[str, str], float] | None = None):
        names, scales, backends = _components(models, names, signal_scales, shared_poi)
        layout = shared_layout(backends, names, scales, correlate, shared_poi)
        self.components = layout.components
        self.merged: tuple[MergedParameter, ...] = layout.merged
        self._size, self._terms = layout.size, layout.terms
        corrections = layout.corrections  # (parameter, datum, term, duplicates) per shared term
        self._duplicates = ConstraintSet([t for _, _, t, _ in corrections])
        self._duplicate_parameters = np.array([p for p, _, _, _ in corrections], dtype=int)
        self._duplicate_data = np.array([d for _, d, _, _ in corrections], dtype=int)
        self._duplicate_counts = np.array([c for _, _, _, c in corrections], dtype=float)
        # every component's POIs are POIs of the combination (kept apart: test one with_poi)
        pois = [0] + sorted({int(c.parameter_index[i]) for b, c in zip(backends, self.components, strict=True)
                             for i in b.config.pois} - {0}) if layout.has_poi else None
        self.config = ModelConfig(layout.parameter_names, poi_index=0 if layout.has_poi else None,
                                  init=layout.init, bounds=layout.bounds, fixed=layout.fixed,
                                  n_main=layout.n_main, data_layout=self._data_layout(), pois=pois)
        self.data = self._merge([np.asarray(b.data, dtype=float) for b in backends])
        self.data.setflags(write=False)
        configs = [b.config for b in backends]
        self.pairs = correlated_pairs(correlation or {}, names, configs, layout.index_of, self.config,
                                      self._combined_term)
        methods = set(self._offered_methods())
        if all(t is not None for t in self._terms) and not self.pairs:
            methods.add("constraint_terms")
        self.offered_methods = frozenset(methods)
        if self.merged:
            logger.info("correlated combination of %s: %s", ", ".join(names),
                        "; ".join(map(str, self.merged)))

    def _combined_term(self, position: int) -> ConstraintTerm | None:
        """The constraint term of combined parameter ``position`` (combined indices), or None."""
        for c, terms in zip(self.components, self._terms, strict=True):
            local = np.flatnonzero(c.parameter_index == position)
            if local.size and terms is not None and int(local[0]) in terms:
                t = terms[int(local[0])]
                return ConstraintTerm(parameter=position, datum=int(c.data_index[t.datum]), kind=t.kind,
                                      width=t.width, width_low=t.width_low, scale=t.scale)
        return None

    def _extra(self, pars: np.ndarray, data: np.ndarray):
        """The duplicated constraint terms taken out, the bivariate ones added: their log L."""
        value = 0.0
        if len(self._duplicates):
            theta, a = pars[..., self._duplicate_parameters], data[..., self._duplicate_data]
            value = -(self._duplicate_counts * self._duplicates.logpdf(theta, a)).sum(axis=-1)
        for pair in self.pairs:
            value = value + pair.logpdf(pars, data)
        return value

    def _add_extra_derivatives(self, pars: np.ndarray, data: np.ndarray, grad: np.ndarray | None = None,
                               hessian: np.ndarray | None = None) -> None:
        """The gradient and Hessian (where given) of :meth:`_extra`, added to them in place."""
        if len(self._duplicates):
            p, counts = self._duplicate_parameters, self._duplicate_counts
            first, second = self._duplicates.derivatives(pars[..., p], data[..., self._duplicate_data])
            if grad is not None:
                grad[..., p] -= counts * first
            if hessian is not None:
                hessian[..., p, p] -= counts * second
        for pair in self.pairs:
            pair.add_derivatives(pars, data, grad, hessian)

    @staticmethod
    def _total(components: float | np.ndarray, extra) -> float | np.ndarray:
        # where a component has probability zero, log L is -inf (not -inf minus its constraint)
        return np.where(np.isneginf(components), components, components + extra)

    # -- the contract -------------------------------------------------------------------------
    def logpdf(self, pars: np.ndarray, data: np.ndarray) -> float:
        """The components' log L minus each shared parameter's duplicated constraint terms."""
        pars, data = np.asarray(pars, dtype=float), np.asarray(data, dtype=float)
        return float(self._total(super().logpdf(pars, data), self._extra(pars, data)))

    @optional_method
    def value_and_grad(self, pars: np.ndarray, data: np.ndarray) -> tuple[float, np.ndarray]:
        """log L and its gradient: the components' (scattered) and the closed-form corrections."""
        pars, data = np.asarray(pars, dtype=float), np.asarray(data, dtype=float)
        value, grad = UncorrelatedCombination.value_and_grad.method(self, pars, data)
        self._add_extra_derivatives(pars, data, grad=grad)
        return float(self._total(value, self._extra(pars, data))), grad

    @optional_method
    def hessian(self, pars: np.ndarray, data: np.ndarray) -> np.ndarray:
        """The Hessian of log L: the components' and the corrections' closed forms."""
        pars, data = np.asarray(pars, dtype=float), np.asarray(data, dtype=float)
        out = UncorrelatedCombination.hessian.method(self, pars, data)
        self._add_extra_derivatives(pars, data, hessian=out)
        return out

    @optional_method
    def logpdf_batch(self, pars: np.ndarray, data: np.ndarray) -> np.ndarray:
        """log L of N parameter and data sets."""
        pars, data = self._broadcast(pars, data)
        value = UncorrelatedCombination.logpdf_batch.method(self, pars, data)
        return self._total(value, self._extra(pars, data))

    @optional_method
    def value_and_grad_batch(self, pars: np.ndarray, data: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """log L (N,) and gradients (N, P) of N parameter and data sets."""
        pars, data = self._broadcast(pars, data)
        value, grad = UncorrelatedCombination.value_and_grad_batch.method(self, pars, data)
        self._add_extra_derivatives(pars, data, grad=grad)
        return self._total(value, self._extra(pars, data)), grad

    @optional_method
    def hessian_batch(self, pars: np.ndarray, data: np.ndarray) -> np.ndarray:
        """Hessians (N, P, P) of N parameter and data sets."""
        pars, data = self._broadcast(pars, data)
        out = UncorrelatedCombination.hessian_batch.method(self, pars, data)
        self._add_extra_derivatives(pars, data, hessian=out)
        return out

    @optional_method
    def sample(self, pars: np.ndarray, size: int, rng: np.random.Generator) -> np.ndarray:
        """Toys of every component, a shared auxiliary datum drawn once (by its first component);
        the auxiliary data of correlated pairs drawn again from their bivariate normal, around
        their parameters (a Gaussian constraint's expected datum, ``ConstraintTerm.expected``)."""
        toys = UncorrelatedCombination.sample.method(self, pars, size, rng)
        for pair in self.pairs:
            pair.draw(toys, np.asarray(pars, dtype=float), rng)
        return toys

    @optional_method
    def constraint_terms(self) -> tuple[ConstraintTerm, ...]:
        """Each constrained parameter's term once, at its combined indices."""
        positions = sorted({int(c.parameter_index[i]) for c, terms in zip(self.components, self._terms,
                                                                           strict=True) for i in terms})
        return tuple(self._combined_term(p) for p in positions)

    def describe(self) -> str:
        """What was merged, then the components and their own descriptions."""
        poi = self.config.poi_name
        lines = [f"Correlated combination of {len(self.components)} likelihoods: {self.config.n_parameters} "
                 f"parameters, {self.data.size} data ({self.config.n_main} main); POI {poi!r}",
                 f"  merged parameters ({len(self.merged)}): each exists once, its constraint counted once"]
        lines += [f"    {m}" for m in self.merged]
        lines += [f"  correlated: {p.names[0]} ~ {p.names[1]} (rho = {p.rho:g})" for p in self.pairs]
        lines += self._component_lines(self._role)
        return "\n".join(lines)

    def _role(self, c) -> str:
        """How component ``c``'s POI enters the combination (for :meth:`describe`)."""
        config = c.backend.config
        return ("no POI" if config.poi_index is None else
                f"POI {config.poi_name!r} = {c.parameter_scale[config.poi_index]:g} * "
                f"{self.config.parameter_names[c.parameter_index[config.poi_index]]!r}")


def combine_correlated(models: Sequence, names: Sequence[str] | None = None, *,
                       signal_scales: Sequence[float] | Mapping[str, float] | None = None, correlate=None,
                       shared_poi: bool = True, correlation: Mapping[tuple[str, str], float] | None = None
                       ) -> StatisticalModel:
    """Factory of ``combiner.correlated``: likelihoods sharing parameters, each shared constraint
    counted once (see :class:`CorrelatedCombination`).

    The model fits to the smallest ``edm_max`` its components' models ask for (HistFactory's
    1e-10), so that a split and recombined model fits as its original.

    Parameters
    ----------
    models
        The components: StatisticalModels or backends, from any plugins; a component may lack a
        POI (a control region).
    names
        A name per component, the prefix of its parameter names (``"atlas/lumi"``).
    signal_scales
        Per component (a sequence, or a mapping from name to scale): its POI is ``scale * mu``.
    correlate
        Which parameters are one: ``"names"`` (equal names, as pyhf's ``Workspace.combine`` and
        ``combineCards.py``), a list of names, or a mapping ``{"atlas/lumi": "cms/lumi"}``; None:
        none but the POIs.
    shared_poi
        True (default): the components' POIs are one, ``s_k mu``; False: the combination's POI is
        the first component's, the others' POIs are ordinary parameters.
    correlation
        ``{("atlas/jes", "cms/jes"): 0.5}``: pairs of Gaussian-constrained parameters whose
        constraints become one bivariate normal.

    Returns
    -------
    likelihub.StatisticalModel
        The model of the :class:`CorrelatedCombination`.

    Raises
    ------
    likelihub.errors.InvalidModelError
        Components that cannot be combined (as for ``combiner.uncorrelated``), shared parameters
        whose constraints or bounds differ, a correlation of parameters that are not Gaussian.
    likelihub.errors.InvalidArgumentError
        ``correlate`` or ``correlation`` naming no parameter.
    likelihub.errors.CapabilityError
        A shared parameter of a component that does not declare its constraint terms.

    Examples
    --------
    >>> import likelihub as lh
    >>> poisson = lh.get_backend("simplified.poisson")
    >>> a = poisson(signal_yields=[5.0], background_yields=[10.0], data=[12])
    >>> b = poisson(signal_yields=[2.0], background_yields=[4.0], data=[5])
    >>> both = lh.get_backend("combiner.correlated")(models=[a, b], names=["a", "b"],
    ...                                              shared_poi=False)
    >>> both.config.parameter_names  # the first component's POI is tested
    ('a/mu', 'b/mu')

    Sharing nuisance parameters by name (HistFactory models declare their constraint terms)::

        lh.get_backend("combiner.correlated")(models=[sr, cr], names=["sr", "cr"], correlate="names")
    """
    backend = CorrelatedCombination(models, names=names, signal_scales=signal_scales, correlate=correlate,
                                    shared_poi=shared_poi, correlation=correlation)
    tolerances = [m.fit_options["edm_max"] for m in models
                  if isinstance(m, StatisticalModel) and "edm_max" in (m.fit_options or {})]
    return StatisticalModel(backend, fit_options={"edm_max": min(tolerances)} if tolerances else None)
