"""The ``combiner.uncorrelated`` backend: a product of likelihoods sharing one signal strength.

For components L_k(mu_k, theta_k) from different experiments that share no nuisance
parameters, the combined likelihood is

    L(mu, theta_1, ..., theta_K) = prod_k L_k(s_k mu, theta_k),

with s_k the component's signal scale (1 unless its POI is in other units). Its logpdf is the
sum of the components' logpdfs; a fit of it profiles each theta_k, so its profile likelihood
at fixed mu is the sum of the components' profile likelihoods at s_k mu (the nested profile).
Data, Asimov data and toys are concatenations in the layout of
:mod:`likelihub_combiner.components`; gradients, Hessians, batches and toys pass through when
every component has them: the class defines those methods once, and each combination offers
those its components allow (``offered_methods``, decided when it is built, through
:func:`likelihub.plugin.capabilities`); the others are absent from it
(:func:`likelihub.plugin.optional_method`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace

import numpy as np

from likelihub import DataLayout, ModelConfig, StatisticalModel
from likelihub.errors import InvalidModelError
from likelihub.plugin import ConstraintTerm, YieldLayout, capabilities, draw_toys, optional_method

from .components import POI_NAME, SEPARATOR, Component, check_component, component_backend, stacked_components
from .overlap import refuse_overlaps
from .yields import combined_expected_yields, combined_yield_layout, offers_yields

__all__ = ["UncorrelatedCombination", "combine_uncorrelated", "POI_NAME", "SEPARATOR"]


def _names(models: Sequence, names: Sequence[str] | None) -> list[str]:
    if names is None:
        names = [m.name if isinstance(m, StatisticalModel) and m.name else f"model{i}"
                 for i, m in enumerate(models)]
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated and not any(a is b for k, a in enumerate(models) for b in models[:k]):
            raise InvalidModelError(f"several models are named {repeated}; pass names=[...] to "
                                    "tell the components apart", argument="names")
        return names
    names = list(names)
    if len(names) != len(models):
        raise InvalidModelError(f"{len(names)} names for {len(models)} models", argument="names")
    for name in names:
        if not isinstance(name, str) or not name:
            raise InvalidModelError(f"component names must be non-empty strings, got {name!r}",
                                    argument="names")
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise InvalidModelError(f"component names must be unique, repeated: {repeated}",
                                argument="names")
    return names


def _scale(value, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise InvalidModelError(f"the signal scale of component {name!r} must be a number, got {value!r}",
                                argument="signal_scales")
    return float(value)


def _scales(names: list[str], signal_scales) -> list[float]:
    if signal_scales is None:
        scales = [1.0] * len(names)
    elif isinstance(signal_scales, Mapping):
        unknown = sorted(set(signal_scales) - set(names))
        if unknown:
            raise InvalidModelError(f"signal scales given for unknown components {unknown}; "
                                    f"the components are {names}", argument="signal_scales")
        scales = [_scale(signal_scales.get(n, 1.0), n) for n in names]
    else:
        try:
            given = list(signal_scales) if not isinstance(signal_scales, str) else None
        except TypeError:
            given = None
        if given is None:
            raise InvalidModelError(f"signal scales are a mapping {{name: scale}} or a list, got "
                                    f"{signal_scales!r}", argument="signal_scales")
        if len(given) != len(names):
            raise InvalidModelError(f"{len(given)} signal scales for {len(names)} models",
                                    argument="signal_scales")
        scales = [_scale(s, n) for s, n in zip(given, names, strict=True)]
    for name, scale in zip(names, scales, strict=True):
        if not np.isfinite(scale) or scale <= 0:
            raise InvalidModelError(f"the signal scale of component {name!r} must be positive "
                                    f"and finite, got {scale}", argument="signal_scales")
    return scales


def _components(models: Sequence, names: Sequence[str] | None, signal_scales, shared_poi: bool = True
                ) -> tuple[list[str], list[float], list]:
    """The components' names, signal scales and backends, checked: at least one model, names and
    scales as :func:`_names` and :func:`_scales` (none but 1 where the POI is not shared), backends
    that keep the contract, no likelihood counted twice (:func:`~.overlap.refuse_overlaps`)."""
    models = list(models)
    if not models:
        raise InvalidModelError("a combination needs at least one model", argument="models")
    names = _names(models, names)
    scales = _scales(names, signal_scales)
    if not shared_poi and any(s != 1.0 for s in scales):
        raise InvalidModelError("signal scales apply to a shared POI: with shared_poi=False give none",
                                argument="signal_scales")
    backends = [component_backend(m, n) for m, n in zip(models, names, strict=True)]
    refuse_overlaps(models, backends, names)
    return names, scales, backends


class UncorrelatedCombination:
    """The product of uncorrelated likelihoods that share one signal strength.

    Parameters
    ----------
    models, names, signal_scales
        As the factory's, :func:`combine_uncorrelated`.

    Attributes
    ----------
    components
        The :class:`~likelihub_combiner.components.Component` of each model.
    offered_methods
        The optional methods of the contract this combination offers: ``value_and_grad``,
        ``hessian``, ``value_and_grad_batch`` with ``hessian_batch``, and ``logpdf_batch`` where
        every component has them; ``sample`` where every component can draw toys (its own
        ``sample`` or its ``config.data_layout``). The others are absent (AttributeError).

    Raises
    ------
    likelihub.errors.InvalidModelError
        For components that cannot be combined: no POI or a fixed one, disjoint POI bounds, or
        two components that are one likelihood (the same model or backend object, or backends
        sharing state: :mod:`likelihub_combiner.overlap`), which would count its data twice.

    Notes
    -----
    Parameters: ``mu`` then each component's non-POI parameters, prefixed. The bounds of ``mu``
    are the intersection of the components' POI bounds divided by their scales; an empty
    intersection is an error naming the component. Data: all main measurements, component
    after component, then all auxiliary data (``config.n_main`` is the sum of the components').
    """

    def __init__(self, models: Sequence, names: Sequence[str] | None = None,
                 signal_scales: Sequence[float] | Mapping[str, float] | None = None):
        names, scales, backends = _components(models, names, signal_scales)
        n_mains = [check_component(b, n, poi_required=True) for b, n in zip(backends, names, strict=True)]
        self.components: tuple[Component, ...] = stacked_components(backends, names, scales, n_mains)
        self._size = sum(np.asarray(b.data).size for b in backends)

        parameter_names, init, bounds, fixed = [POI_NAME], [0.0], [self._poi_bounds()], [False]
        for backend, name in zip(backends, names, strict=True):
            config = backend.config
            nuisances = np.array([i for i in range(config.n_parameters) if i != config.poi_index],
                                 dtype=int)
            parameter_names += [f"{name}{SEPARATOR}{config.parameter_names[i]}" for i in nuisances]
            init += list(config.init[nuisances])
            bounds += [tuple(b) for b in config.bounds[nuisances]]
            fixed += list(config.fixed[nuisances])
        first = self.components[0]
        first_poi = first.backend.config.poi_index
        init[0] = float(np.clip(first.backend.config.init[first_poi] / first.signal_scale, *bounds[0]))
        self.config = ModelConfig(parameter_names, poi_index=0, init=init, bounds=bounds,
                                  fixed=fixed, n_main=sum(n_mains), data_layout=self._data_layout())
        self.data = self._merge([np.asarray(c.backend.data, dtype=float) for c in self.components])
        self.offered_methods: frozenset[str] = self._offered_methods()
        if all(capabilities(c.backend).constraint_terms for c in self.components):
            self.offered_methods |= {"constraint_terms"}
        if offers_yields(self.components):
            self.offered_methods |= {"yield_layout", "expected_yields"}

    # -- construction helpers -----------------------------------------------------------------
    def _poi_bounds(self) -> tuple[float, float]:
        """Intersection of the components' POI bounds, in units of the combined mu."""
        low, high, previous = -np.inf, np.inf, []
        for c in self.components:
            config = c.backend.config
            c_low, c_high = np.asarray(config.bounds[config.poi_index], dtype=float) / c.signal_scale
            if c_low > high or c_high < low:
                raise InvalidModelError(
                    f"component {c.name!r} allows its POI {config.poi_name!r} only in "
                    f"[{config.bounds[config.poi_index][0]:g}, {config.bounds[config.poi_index][1]:g}], "
                    f"i.e. mu in "
                    f"[{c_low:g}, {c_high:g}] (signal scale {c.signal_scale:g}), while "
                    f"{', '.join(repr(p) for p in previous)} allow mu only in [{low:g}, {high:g}]: "
                    "no signal strength is possible for all of them", argument="models")
            low, high = max(low, c_low), min(high, c_high)
            previous.append(c.name)
        return float(low), float(high)

    def _data_layout(self) -> DataLayout | None:
        layouts = [c.backend.config.data_layout for c in self.components]
        if any(layout is None for layout in layouts):
            return None
        kinds, widths = np.empty(self._size, dtype=object), np.zeros(self._size)
        for c, layout in zip(self.components, layouts, strict=True):
            c.place_data(np.asarray(layout.kinds, dtype=object), kinds)
            c.place_data(np.asarray(layout.widths, dtype=float), widths)
        return DataLayout(tuple(kinds), widths)

    def _offered_methods(self) -> frozenset[str]:
        """Gradients, Hessians, batches and toys where every component has them."""
        offered = [capabilities(c.backend) for c in self.components]
        methods = set()
        if all(o.gradient for o in offered):
            methods.add("value_and_grad")
        if all(o.hessian for o in offered):
            methods.add("hessian")
        if all(o.batch_derivatives for o in offered):
            # the core's lock-step fitter (likelihub.fits.batch) uses these for toys
            methods |= {"value_and_grad_batch", "hessian_batch"}
        if all(o.toys for o in offered):
            methods.add("sample")
        # not part of the core's contract (the core never calls it), but offered by the plugins
        if all(callable(getattr(c.backend, "logpdf_batch", None)) for c in self.components):
            methods.add("logpdf_batch")
        return frozenset(methods)

    def _merge(self, parts: Sequence[np.ndarray]) -> np.ndarray:
        """Combined data (last axis) from each component's data, in the combined layout."""
        out = np.empty(np.asarray(parts[0]).shape[:-1] + (self._size,))
        for c, part in zip(self.components, parts, strict=True):
            c.place_data(np.asarray(part, dtype=float), out)
        return out

    # -- the contract -------------------------------------------------------------------------
    def split_parameters(self, pars: np.ndarray) -> list[np.ndarray]:
        """Each component's parameter vector for the combined ``pars``."""
        return [c.component_parameters(pars) for c in self.components]

    def split_data(self, data: np.ndarray) -> list[np.ndarray]:
        """Each component's data (main then auxiliary) from combined ``data``."""
        return [c.component_data(data) for c in self.components]

    def expected_data(self, pars: np.ndarray) -> np.ndarray:
        """Concatenated expected data (Asimov data) of the components at ``pars``."""
        return self._merge([np.asarray(c.backend.expected_data(c.component_parameters(pars)))
                            for c in self.components])

    def logpdf(self, pars: np.ndarray, data: np.ndarray) -> float:
        """Sum of the components' full log-likelihoods."""
        return float(sum(c.backend.logpdf(c.component_parameters(pars), c.component_data(data))
                         for c in self.components))

    @optional_method
    def constraint_terms(self) -> tuple[ConstraintTerm, ...]:
        """Each component's constraint terms, at the combination's parameter and data indices
        (offered where every component declares its terms: pulls keep their constraints)."""
        return tuple(replace(t, parameter=int(c.parameter_index[t.parameter]),
                             datum=int(c.data_index[t.datum]))
                     for c in self.components for t in c.backend.constraint_terms())

    @optional_method
    def yield_layout(self) -> YieldLayout:
        """The components' channels (``"<component>/<channel>"``) and the union of their samples."""
        return combined_yield_layout(self.components)

    @optional_method
    def expected_yields(self, pars: np.ndarray) -> np.ndarray:
        """Each sample's expected yield in every main measurement of the combination."""
        return combined_expected_yields(self.components, self.yield_layout().samples, pars,
                                        self.config.n_main)

    @optional_method
    def value_and_grad(self, pars: np.ndarray, data: np.ndarray) -> tuple[float, np.ndarray]:
        """The logpdf and its gradient, from the components' (chain rule on mu_k = s_k mu)."""
        pars = np.asarray(pars, dtype=float)
        total, grad = 0.0, np.zeros(pars.size)
        for c in self.components:
            value, component_grad = c.backend.value_and_grad(c.component_parameters(pars),
                                                             c.component_data(data))
            total += float(value)
            c.place_gradient(np.asarray(component_grad, dtype=float), grad)
        return total, grad

    @optional_method
    def hessian(self, pars: np.ndarray, data: np.ndarray) -> np.ndarray:
        """Hessian of the logpdf: block diagonal in the nuisances, coupled through mu."""
        pars = np.asarray(pars, dtype=float)
        out = np.zeros((pars.size, pars.size))
        for c in self.components:
            hessian = c.backend.hessian(c.component_parameters(pars), c.component_data(data))
            c.place_hessian(np.asarray(hessian, dtype=float), out)
        return out

    @staticmethod
    def _broadcast(pars: np.ndarray, data: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        pars, data = np.atleast_2d(pars).astype(float), np.atleast_2d(data).astype(float)
        n = max(pars.shape[0], data.shape[0])
        return np.broadcast_to(pars, (n, pars.shape[1])), np.broadcast_to(data, (n, data.shape[1]))

    @optional_method
    def logpdf_batch(self, pars: np.ndarray, data: np.ndarray) -> np.ndarray:
        """Sum of the components' batched logpdfs: pars (N, P), data (N, D) or one of each."""
        pars, data = self._broadcast(pars, data)
        return sum(np.asarray(c.backend.logpdf_batch(c.component_parameters(pars),
                                                     c.component_data(data)), dtype=float)
                   for c in self.components)

    @optional_method
    def value_and_grad_batch(self, pars: np.ndarray, data: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """logpdf (N,) and gradients (N, P) of N parameter and data sets."""
        pars, data = self._broadcast(pars, data)
        total, grad = np.zeros(pars.shape[0]), np.zeros(pars.shape)
        for c in self.components:
            value, component_grad = c.backend.value_and_grad_batch(c.component_parameters(pars),
                                                                   c.component_data(data))
            total += np.asarray(value, dtype=float)
            c.place_gradient(np.asarray(component_grad, dtype=float), grad)
        return total, grad

    @optional_method
    def hessian_batch(self, pars: np.ndarray, data: np.ndarray) -> np.ndarray:
        """Hessians (N, P, P) of N parameter and data sets."""
        pars, data = self._broadcast(pars, data)
        out = np.zeros((pars.shape[0], pars.shape[1], pars.shape[1]))
        for c in self.components:
            hessian = c.backend.hessian_batch(c.component_parameters(pars), c.component_data(data))
            c.place_hessian(np.asarray(hessian, dtype=float), out)
        return out

    @optional_method
    def sample(self, pars: np.ndarray, size: int, rng: np.random.Generator) -> np.ndarray:
        """Toys of every component (main and auxiliary data), drawn in turn from ``rng``."""
        return self._merge([draw_toys(c.backend, c.component_parameters(pars), size, rng)
                            for c in self.components])

    def _component_lines(self, role) -> list[str]:
        """Per component: ``  name (role(component)): its description``, indented."""
        lines = []
        for c in self.components:
            summary = (c.backend.describe() if capabilities(c.backend).describe
                       else type(c.backend).__name__)
            first, *rest = summary.splitlines() or [""]
            lines.append(f"  {c.name} ({role(c)}): {first}")
            lines += [f"    {line}" for line in rest]
        return lines

    def describe(self) -> str:
        """The components, their signal scales and their own descriptions."""
        lines = [f"Uncorrelated combination of {len(self.components)} likelihoods sharing "
                 f"{POI_NAME!r}: {self.config.n_parameters} parameters, {self.data.size} data "
                 f"({self.config.n_main} main)"]
        lines += self._component_lines(
            lambda c: f"POI {c.backend.config.poi_name!r} = {c.signal_scale:g} * {POI_NAME}")
        return "\n".join(lines)


def combine_uncorrelated(models: Sequence, names: Sequence[str] | None = None, *,
                         signal_scales: Sequence[float] | Mapping[str, float] | None = None
                         ) -> UncorrelatedCombination:
    """Factory of ``combiner.uncorrelated``: the product of likelihoods sharing one signal strength
    and nothing else (see :class:`UncorrelatedCombination`; ``likelihub.combine`` calls it).

    Parameters
    ----------
    models
        The components: StatisticalModels or backends, from any plugins.
    names
        A name per component, the prefix of its parameter names (``"atlas/alpha_JES"``); by
        default the model's name, or ``model0``, ``model1``, ...
    signal_scales
        Per component (a sequence, or a mapping from name to scale; 1 by default): the
        component's POI is ``scale * mu``, for components whose POI is in other units.

    Returns
    -------
    UncorrelatedCombination
        The backend; ``likelihub.get_backend("combiner.uncorrelated")`` wraps it in a
        :class:`likelihub.StatisticalModel`.

    Raises
    ------
    likelihub.errors.InvalidModelError
        Components that cannot be combined: no POI or a fixed one, disjoint POI bounds, or one
        likelihood given twice (its data would count twice); names that clash.

    Examples
    --------
    >>> import likelihub as lh
    >>> poisson = lh.get_backend("simplified.poisson")
    >>> a = poisson(signal_yields=[5.0], background_yields=[10.0], data=[12])
    >>> b = poisson(signal_yields=[2.0], background_yields=[4.0], data=[5])
    >>> both = lh.get_backend("combiner.uncorrelated")(models=[a, b], names=["a", "b"])
    >>> both.config.parameter_names
    ('mu',)
    """
    return UncorrelatedCombination(models, names=names, signal_scales=signal_scales)
