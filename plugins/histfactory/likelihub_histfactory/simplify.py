"""Full likelihood -> simplified likelihood: a HistFactory model as a CMS-style simplified
likelihood (CMS-NOTE-2017-001; with third moments, Buckley et al., arXiv:1809.05548).

    from likelihub_histfactory.simplify import simplify
    sl = simplify("atlas-susy-2018-31-sbottom.tar.gz", member="RegionA/BkgOnly.json",
                  patches=["RegionA/patch.sbottom_1300_205_60.json"])
    sl.save("sbottom_1300_205_60.json")
    sl.model("third_moment_expansion").cls(1.0)

The convention (``docs/simplify.md`` says why):

1. **Bins**: the kept channels' bins -- by default the signal regions, the channels whose name
   contains ``SR`` but neither ``CR`` nor ``VR`` (where none has such a name: the channels where a
   sample carries the POI's normalisation factor, less those named ``CR`` or ``VR``); ``channels=``
   chooses others.
2. **Fit**: the background-only fit (POI held at 0) of the *other* channels, the control regions
   (``fit="control"``, HistFitter's background-only fit: the kept bins' data are not used twice);
   ``fit="all"`` fits every channel, kept ones included (spey-pyhf's choice).
3. **Toys**: the fitted parameters are drawn from the Gaussian of the fit's Hessian,
   N(theta-hat, H^-1); parameters the fit does not see (those acting on the kept channels alone:
   their staterror and shapesys parameters, their own systematics) from their constraint terms
   (Gaussian: N(aux, sigma); Poisson: the Gaussian of its curvature, N(a / tau, sqrt(a) / tau));
   fixed parameters stay at their values. Draws outside the model's domain -- a parameter beyond
   its bounds, or a negative expected count in some bin (additive histosys shifts) -- are drawn
   again (the Gaussian truncated to where the full likelihood is defined, as spey-pyhf rejects
   draws with a negative Poisson mean).
4. **Moments**: the background *expected* in each kept bin at each draw (no Poisson noise: the
   simplified likelihood's own Poisson term holds that) gives m1 (mean), m2 (covariance, 1/(N-1))
   and m3 (third central moment, the unbiased k-statistic N / ((N-1)(N-2)) sum d^3).
5. **Signal**: the expected yield of the POI's samples at the POI value 1, other parameters at
   their initial (nominal) values; signal uncertainties are not carried over, nor the signal of
   the channels not kept (``metadata["signal_fraction_kept"]`` says how much of it is kept).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence

import numpy as np

from likelihub import StatisticalModel
from likelihub.errors import InvalidArgumentError, InvalidModelError
from likelihub.plugin import arguments

from . import __version__
from .backend import HistFactoryBackend
from .compile import compile_model
from .factory import FIT_OPTIONS, _check_arguments
from .simplified_json import DEFAULT_TOYS, FITS, SimplifiedLikelihood
from .spec.model_spec import load_model_spec

__all__ = ["simplify", "default_channels", "FITS", "DEFAULT_TOYS", "SimplifiedLikelihood"]

#: Parameter sets drawn and evaluated at once (memory: rows x parameters x 8 bytes).
_CHUNK = 4096


def simplify(workspace, patches: Sequence = (), measurement: str | None = None, *, member: str | None = None,
             patchset=None, patch_name=None, channels: Iterable[str] | None = None, fit: str = "control",
             n_toys: int = DEFAULT_TOYS, seed: int | None = 0,
             interpolation_codes: Mapping[str, str] | None = None,
             unused_parameters: str = "warn") -> SimplifiedLikelihood:
    """The simplified likelihood of a (patched) HistFactory workspace (see the module docstring).

    Parameters
    ----------
    workspace, patches, measurement, member, patchset, patch_name, interpolation_codes, unused_parameters
        The full model, as for ``likelihub.get_backend("histfactory")``.
    channels
        The channels to keep (their bins make the simplified likelihood); by default
        :func:`default_channels`.
    fit
        ``"control"``: the background-only fit of the channels not kept; ``"all"``: of every channel.
    n_toys
        Number of parameter draws (at least 10).
    seed
        Seed of the draws (``numpy.random.default_rng``); None: a fresh one.

    Raises
    ------
    likelihub.errors.InvalidArgumentError
        For an unknown channel, a bad ``fit``, ``n_toys`` or ``seed``.
    likelihub.errors.InvalidModelError
        For a model whose POI scales no sample, a fit whose Hessian is not positive definite, or
        a free unconstrained parameter that only the kept channels would determine (each names it).
    """
    patches = _check_arguments(patches=patches, measurement=measurement, patch_name=patch_name,
                               interpolation_codes=interpolation_codes, member=member, poi=None,
                               unused_parameters=unused_parameters, device="cpu")
    arguments.choice(fit, argument="fit", choices=FITS)
    n_toys = arguments.whole_number(n_toys, argument="n_toys", minimum=10)
    if seed is not None:
        seed = arguments.whole_number(seed, argument="seed", minimum=0)
    spec, observations, config, source = load_model_spec(
        workspace, patches=patches, measurement=measurement, member=member, patchset=patchset,
        patch_name=patch_name, unused_parameters=unused_parameters)
    poi = config["poi"]
    full = HistFactoryBackend(compile_model(spec, observations, poi, interpolation_codes, source),
                              device="cpu")
    kept = [c for c in full.compiled.channel_names if c in _chosen_channels(spec, poi, channels, source)]
    bins = _bins(full, kept)
    fit_channels = [c["name"] for c in spec["channels"] if fit == "all" or c["name"] not in kept]
    draws = _Draws(full, poi, source)
    if fit_channels:
        control = full if fit == "all" else HistFactoryBackend(compile_model(
            {"channels": [c for c in spec["channels"] if c["name"] in fit_channels],
             "parameters": spec.get("parameters", [])}, observations, None, interpolation_codes,
            source), device="cpu")
        draws.fit(control, poi)
    draws.constraints(bins)
    yields, rejected = draws.background(n_toys, np.random.default_rng(seed), bins)
    m1, m2, m3 = moments(yields)
    nominal = full.compiled.init.copy()
    nominal[full.compiled.poi_index] = 1.0
    with_signal = full.expected_main(nominal)
    nominal[full.compiled.poi_index] = 0.0
    signal = with_signal - full.expected_main(nominal)
    names = [f"{c}[{i}]" for c in kept for i in range(full.compiled.channel_bins[
        full.compiled.channel_names.index(c)])]
    label = " + ".join([source or "workspace", *_patch_labels(patches), *(
        [f"patch {patch_name}"] if patch_name is not None else [])])
    metadata = {"source": label, "poi": poi, "fit": fit, "fit_channels": fit_channels,
                "kept_channels": kept, "n_toys": n_toys, "seed": seed, "rejected_fraction": rejected,
                "signal_fraction_kept": float(signal[bins].sum() / signal.sum()) if signal.sum() > 0 else 0.0,
                "fitted_parameters": draws.n_fitted, "constraint_parameters": draws.n_constraint,
                "likelihub_histfactory": __version__}
    return SimplifiedLikelihood(
        region_names=names, observed=full.data[bins].copy(), background=m1, covariance=m2,
        third_moment=m3, signal=signal[bins],
        background_at_fit=full.expected_main(draws.centre)[bins], metadata=metadata)


def _patch_labels(patches) -> list[str]:
    """What names each patch: its path, or its name (a Patch read from a file or a patchset)."""
    patches = [patches] if isinstance(patches, (str, os.PathLike, Mapping)) else list(patches or ())
    return [str(p) if isinstance(p, (str, os.PathLike)) else str(getattr(p, "origin", None) or
                                                                 getattr(p, "name", None) or "patch")
            for p in patches]


def moments(yields: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean, covariance (1/(N-1)) and unbiased third central moment (N/((N-1)(N-2)) sum d^3) of the
    rows of ``yields`` (N, bins)."""
    n = yields.shape[0]
    mean = yields.mean(axis=0)
    deviations = yields - mean
    covariance = deviations.T @ deviations / (n - 1)
    third = n / ((n - 1) * (n - 2)) * np.sum(deviations ** 3, axis=0)
    return mean, covariance, third


def _poi_channels(spec: Mapping, poi: str) -> list[str]:
    """Channels where a sample carries the normalisation factor ``poi``."""
    return [c["name"] for c in spec["channels"]
            if any(m["type"] == "normfactor" and m["name"] == poi
                   for s in c["samples"] for m in s["modifiers"])]


def default_channels(channel_names: Sequence[str], signal_channels: Sequence[str]) -> list[str]:
    """The signal regions: the channels whose name contains ``SR`` but neither ``CR`` nor ``VR``
    (case-insensitive; ``CRISR`` is a control region), with signal or not (one simplified
    likelihood serves every patch of a grid); where no channel has such a name, the channels with
    signal whose name contains neither ``CR`` nor ``VR``."""
    def control(name: str) -> bool:
        return "CR" in name.upper() or "VR" in name.upper()

    named = [c for c in channel_names if "SR" in c.upper() and not control(c)]
    return named or [c for c in channel_names if c in signal_channels and not control(c)]


def _chosen_channels(spec: Mapping, poi: str, channels, source: str | None) -> list[str]:
    names = [c["name"] for c in spec["channels"]]
    signal = _poi_channels(spec, poi)
    if not signal:
        raise InvalidModelError(f"no sample carries the POI {poi!r} as a normalisation factor: the "
                                "signal of a simplified likelihood must scale with it", file=source,
                                modifier=poi)
    if channels is None:
        kept = default_channels(names, signal)
        if not kept:
            raise InvalidArgumentError(f"no channel is named as a signal region (SR, not CR or VR) and "
                                       f"every channel with signal ({signal}) as a control or validation "
                                       "region: name the channels to keep", argument="channels")
        return kept
    if isinstance(channels, str):
        channels = [channels]
    chosen = list(dict.fromkeys(channels))
    unknown = [c for c in chosen if c not in names]
    if unknown or not chosen:
        raise InvalidArgumentError(f"names no channel of the model: {unknown} (its channels: {names})"
                                   if unknown else "names no channel", argument="channels")
    return [c for c in names if c in chosen]


def _bins(backend: HistFactoryBackend, kept: Sequence[str]) -> np.ndarray:
    c = backend.compiled
    starts = np.concatenate([[0], np.cumsum(c.channel_bins)])
    return np.concatenate([np.arange(starts[i], starts[i + 1])
                           for i, name in enumerate(c.channel_names) if name in kept]).astype(np.int64)


class _Draws:
    """The distribution of the full model's parameters at the background-only fit: a centre, and
    the parameters drawn (indices) with the matrix M such that theta = centre + M z, z ~ N(0, 1)."""

    def __init__(self, full: HistFactoryBackend, poi: str, source: str | None):
        self.full = full
        self.source = source
        c = full.compiled
        self.names = list(c.parameter_names)
        self.centre = c.init.astype(float).copy()
        self.centre[c.poi_index] = 0.0
        self.fitted: set[int] = set()
        self.blocks: list[tuple[list[int], np.ndarray]] = []
        self.n_fitted = self.n_constraint = 0

    def fit(self, control: HistFactoryBackend, poi: str) -> None:
        """The background-only fit of ``control``; its free parameters drawn from N(fit, H^-1)."""
        cc = control.compiled
        names = list(cc.parameter_names)
        fixed = {poi: 0.0} if poi in names else {}
        model = StatisticalModel(control, fit_options=FIT_OPTIONS)
        values = model.fit(fixed=fixed, uncertainties=False).values
        for name, value in zip(names, values, strict=True):
            self.centre[self.names.index(name)] = value
        free = [i for i, name in enumerate(names) if not cc.fixed[i] and name != poi]
        curvature = -control.hessian(values, control.data)[np.ix_(free, free)]
        # a parameter with no curvature acts on nothing the fit sees (a signal-only parameter at
        # mu = 0): it is held, and judged with the parameters the fit does not see
        live = [k for k in range(len(free)) if np.any(curvature[k] != 0.0)]
        curvature = curvature[np.ix_(live, live)]
        try:
            lower = np.linalg.cholesky(curvature)
        except np.linalg.LinAlgError:
            eigenvalues, vectors = np.linalg.eigh(curvature)
            worst = names[free[live[int(np.argmax(np.abs(vectors[:, 0])))]]]
            raise InvalidModelError(
                f"the Hessian of the background-only fit is not positive definite (smallest "
                f"eigenvalue {eigenvalues[0]:.3g}, mostly along this parameter): the fit does not "
                "determine it", file=self.source, modifier=worst) from None
        indices = [self.names.index(names[free[k]]) for k in live]
        self.blocks.append((indices, np.linalg.inv(lower).T))
        self.fitted.update(indices)
        self.n_fitted = len(indices)

    def constraints(self, bins: np.ndarray) -> None:
        """Parameters the fit did not see: drawn from their constraint terms; a free parameter
        without constraint that acts on the kept bins is an error (nothing determines it)."""
        c = self.full.compiled
        aux = {int(p): j for j, p in enumerate(c.aux_parameter)}
        indices, widths = [], []
        for i in range(c.n_parameters):
            if i == c.poi_index or c.fixed[i] or i in self.fitted:
                continue
            if i in aux:
                j = aux[i]
                datum = float(c.observed[c.n_main + j])
                if c.aux_is_poisson[j]:
                    tau = float(c.aux_width[j])
                    self.centre[i], width = datum / tau, np.sqrt(max(datum, 0.0)) / tau
                else:
                    self.centre[i], width = datum, float(c.aux_width[j])
                indices.append(i)
                widths.append(width)
            elif self._acts_on(i, bins):
                raise InvalidModelError(
                    "is free, has no constraint and acts on the kept channels, which the fit does not "
                    "see: nothing determines it (fit it with fit='all', or keep fewer channels)",
                    file=self.source, modifier=self.names[i])
        if indices:
            self.blocks.append((indices, np.diag(widths)))
        self.n_constraint = len(indices)

    def _acts_on(self, i: int, bins: np.ndarray) -> bool:
        """Whether moving parameter ``i`` (within its bounds) changes the background of ``bins``."""
        lo, hi = self.full.compiled.bounds[i]
        moved = self.centre.copy()
        moved[i] = 0.5 * (lo + hi) if 0.5 * (lo + hi) != self.centre[i] else lo + 0.25 * (hi - lo)
        expected = self.full.expected_main
        return bool(np.any(expected(moved)[bins] != expected(self.centre)[bins]))

    def background(self, n_toys: int, rng: np.random.Generator, bins: np.ndarray) -> tuple[np.ndarray, float]:
        """The background expected in ``bins`` (n_toys, bins) at n_toys draws in the model's domain,
        and the fraction of draws rejected: a parameter beyond its bounds, or a negative expected
        count in some bin of the model (where the full likelihood is not defined)."""
        c = self.full.compiled
        indices = [i for block, _ in self.blocks for i in block]
        matrix = np.zeros((len(indices), len(indices)))
        start = 0
        for block, square in self.blocks:
            matrix[start:start + len(block), start:start + len(block)] = square
            start += len(block)
        out = np.empty((n_toys, bins.size))
        filled = drawn = good = 0
        while filled < n_toys:
            if drawn >= 100 * max(n_toys, _CHUNK):
                raise InvalidModelError(
                    f"fewer than 1% of {drawn} draws of the parameters lie in the model's domain (within "
                    "their bounds, no negative expected count): the Gaussian of the fit does not describe "
                    "this model", file=self.source)
            pars = np.repeat(self.centre[None, :], _CHUNK, axis=0)
            pars[:, indices] += rng.standard_normal((_CHUNK, len(indices))) @ matrix.T
            drawn += _CHUNK
            pars = pars[np.all((pars >= c.bounds[:, 0]) & (pars <= c.bounds[:, 1]), axis=1)]
            expected = self.full.expected_main_batch(pars)
            accepted = expected[np.all(expected >= 0.0, axis=1)]
            good += len(accepted)
            accepted = accepted[:n_toys - filled, bins]
            out[filled:filled + len(accepted)] = accepted
            filled += len(accepted)
        return out, 1.0 - good / drawn
