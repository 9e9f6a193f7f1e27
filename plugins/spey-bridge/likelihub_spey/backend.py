"""A likelihub model as a spey backend: :class:`LikelihubBackend` (spey 0.2.7's ``BackendBase``).

What spey asks of a backend, and what it gets here:

- ``config()``: the parameters, initial values and bounds of the likelihub model (infinite
  bounds as None); the POI bounded below at 0 where ``allow_negative_signal`` is False, else at
  the lowest value with non-negative expected yields, as spey's backends do;
- ``get_logpdf_func``, ``get_objective_function`` (with the analytic gradient), and
  ``get_hessian_logpdf_func`` (the analytic Hessian; spey's ``sigma_mu`` uses it): likelihub's
  ``logpdf``, ``value_and_grad`` and ``hessian`` of the data spey names (observed, *a-priori*:
  the background-only prediction, or a data set it passes: main data alone or main and auxiliary);
- ``expected_data`` (Asimov data) and ``get_sampler`` (toys);
- spey's fast paths ``negative_loglikelihood``, ``minimize_negative_loglikelihood``,
  ``asimov_negative_loglikelihood`` and ``minimize_asimov_negative_loglikelihood``: the profile
  likelihood fits that CLs, limits, chi2 and ``maximize_likelihood`` are made of, by likelihub's
  fitter, each once per data set (:class:`~likelihub_spey.fits.FitCache`). spey's optimiser
  options (``minimizer``, ``method``, ``tol``, ...) configure spey's optimiser and are ignored by
  them; a fast path asked for something it does not do (``par_bounds``) hands the fit back to
  spey's optimiser, on likelihub's likelihood and gradient. ``likelihub_fits=False`` hands every
  fit to spey's optimiser.

The global observables of Asimov data follow the spey backend being replaced: kept at their
nominal values for the simplified likelihoods (spey's ``default.*`` backends evaluate their
constraints at nominal whatever the data say), set to the fitted values for HistFactory (pyhf,
spey-pyhf). spey's ``likelihood(return_nll=False)`` is not forwarded to a fast path by spey
0.2.7: with the fast paths it returns -log L too.
"""

from __future__ import annotations

import numpy as np
from spey import BackendBase, ExpectationType
from spey.base.model_config import ModelConfig as SpeyConfig

from likelihub import StatisticalModel
from likelihub.errors import InvalidDataError
from likelihub.plugin import capabilities

from . import __version__
from .fits import FitCache, with_poi_bounds

__all__ = ["LikelihubBackend", "SPEY_REQUIRES", "GLOBAL_OBSERVABLES", "signal_and_background"]

#: The spey versions whose backend interface this module implements.
SPEY_REQUIRES = ">=0.2.7,<0.3.0"

#: How the auxiliary data (global observables) of Asimov data are set.
GLOBAL_OBSERVABLES = ("nominal", "fitted")


def signal_and_background(model: StatisticalModel) -> tuple[np.ndarray, np.ndarray]:
    """(signal, background) of each main datum: the expected main data at the initial values with
    the POI at 1 minus those with the POI at 0, and the latter (the pre-fit background-only
    prediction: every other parameter at its initial value)."""
    config = model.config
    poi, n_main = config.require_poi(), config.n_main
    pars = np.array(config.init, dtype=float)
    pars[poi] = 0.0
    background = np.asarray(model.expected_data(pars), dtype=float)[:n_main]
    pars[poi] = 1.0
    return np.asarray(model.expected_data(pars), dtype=float)[:n_main] - background, background


def _finite_or_none(value: float):
    return float(value) if np.isfinite(value) else None


class LikelihubBackend(BackendBase):
    """A likelihub :class:`~likelihub.StatisticalModel` as a spey backend.

    Subclasses build the likelihub model from the arguments of the spey backend they replace and
    call :meth:`_attach`.
    """

    name: str = "likelihub.base"
    version: str = __version__
    author: str = "likelihub developers"
    spey_requires: str = SPEY_REQUIRES
    #: "nominal" (spey's default backends, SModelS) or "fitted" (pyhf, spey-pyhf).
    global_observables: str = "nominal"

    def _attach(self, model: StatisticalModel, *, signal: np.ndarray, apriori_main: np.ndarray,
                poi_low: float, likelihub_fits: bool = True) -> None:
        """Wrap ``model``.

        Parameters
        ----------
        model
            The likelihub model.
        signal
            The signal of each main datum at mu = 1 (``is_alive``, the POI's lowest value).
        apriori_main
            The main data of the background-only prediction (spey's ``ExpectationType.apriori``).
        poi_low
            The POI's lower bound of fits with ``allow_negative_signal``.
        likelihub_fits
            Whether spey's fits are made by likelihub (its fast paths) or by spey's optimiser.
        """
        self.model = model
        config = model.config
        self._poi = config.require_poi()
        self._n_data = np.asarray(model.data).size
        self._n_main = self._n_data if config.n_main is None else int(config.n_main)
        self._signal = np.asarray(signal, dtype=float)
        self._observed = np.array(model.data, dtype=float)
        self._apriori = np.concatenate([np.asarray(apriori_main, dtype=float),
                                        self._observed[self._n_main:]])
        high = float(config.bounds[self._poi][1])
        self._fits = FitCache({True: with_poi_bounds(model, poi_low, high),
                               False: with_poi_bounds(model, 0.0, max(high, 0.0))})
        self._likelihub_fits = bool(likelihub_fits)
        caps = capabilities(model.backend)
        self._gradient, self._hessian = caps.gradient, caps.hessian

    # -- what spey needs -------------------------------------------------------------------------
    @property
    def is_alive(self) -> bool:
        """Whether some main datum has a positive signal."""
        return bool(np.any(self._signal > 0.0))

    def config(self, allow_negative_signal: bool = True, poi_upper_bound: float | None = None
               ) -> SpeyConfig:
        """spey's view of the parameters: initial values, bounds (None where infinite), fixed ones."""
        model = self._fits.models[bool(allow_negative_signal)]
        config = model.config
        bounds = [(_finite_or_none(low), _finite_or_none(high)) for low, high in config.bounds]
        if poi_upper_bound is not None:
            bounds[self._poi] = (bounds[self._poi][0], float(poi_upper_bound))
        return SpeyConfig(
            poi_index=self._poi, minimum_poi=float(self._fits.models[True].config.bounds[self._poi][0]),
            suggested_init=[float(x) for x in config.init], suggested_bounds=bounds,
            parameter_names=list(config.parameter_names), suggested_fixed=[bool(x) for x in config.fixed])

    def _data(self, expected=ExpectationType.observed, data=None) -> np.ndarray:
        """The full data (main then auxiliary) of ``data``, else of ``expected``'s data set.

        ``data`` may be the main data alone (the observed auxiliary data are added) or main and
        auxiliary data; with nominal global observables the auxiliary part is the observed one
        whatever ``data`` holds, as in spey's default backends.
        """
        if data is None:
            return self._apriori if expected == ExpectationType.apriori else self._observed
        array = np.asarray(data, dtype=float).reshape(-1)
        if array.size == self._n_main or self.global_observables == "nominal":
            if array.size not in (self._n_main, self._n_data):
                raise InvalidDataError(f"has {array.size} values; the model has {self._n_main} main "
                                       f"data ({self._n_data} with the auxiliary data)", argument="data")
            return np.concatenate([array[:self._n_main], self._observed[self._n_main:]])
        if array.size != self._n_data:
            raise InvalidDataError(f"has {array.size} values; the model has {self._n_main} main "
                                   f"data ({self._n_data} with the auxiliary data)", argument="data")
        return array

    def get_logpdf_func(self, expected=ExpectationType.observed, data=None):
        """log L(pars) of the data: likelihub's logpdf, constraint terms included."""
        full, logpdf = self._data(expected, data), self.model.backend.logpdf
        return lambda pars: float(logpdf(np.asarray(pars, dtype=float), full))

    def get_objective_function(self, expected=ExpectationType.observed, data=None, do_grad: bool = True):
        """-log L(pars), with its analytic gradient where ``do_grad`` (spey's optimiser)."""
        if not do_grad:
            logpdf = self.get_logpdf_func(expected, data)
            return lambda pars: -logpdf(pars)
        if not self._gradient:
            raise NotImplementedError(f"{type(self.model.backend).__name__} has no analytic gradient")
        full, value_and_grad = self._data(expected, data), self.model.backend.value_and_grad

        def objective(pars):
            value, grad = value_and_grad(np.asarray(pars, dtype=float), full)
            return -float(value), -np.asarray(grad, dtype=float)
        return objective

    def get_hessian_logpdf_func(self, expected=ExpectationType.observed, data=None):
        """The analytic Hessian of log L(pars) (spey's ``sigma_mu``)."""
        if not self._hessian:
            raise NotImplementedError(f"{type(self.model.backend).__name__} has no analytic Hessian")
        full, hessian = self._data(expected, data), self.model.backend.hessian
        return lambda pars: np.asarray(hessian(np.asarray(pars, dtype=float), full), dtype=float)

    def expected_data(self, pars, include_auxiliary: bool = True) -> np.ndarray:
        """Expected data at ``pars``: main, then auxiliary (nominal or fitted global observables)."""
        expected = np.array(self.model.expected_data(np.asarray(pars, dtype=float)), dtype=float)
        if not include_auxiliary:
            return expected[:self._n_main]
        if self.global_observables == "nominal":
            expected[self._n_main:] = self._observed[self._n_main:]
        return expected

    def get_sampler(self, pars):
        """Toys at ``pars``: ``sampler(n, include_auxiliary=True)`` -> (n, data) array, drawn by
        likelihub's sampler with a generator seeded from numpy's global random state, so that
        ``np.random.seed`` makes them reproducible as it makes spey's default backends' toys."""
        pars = np.asarray(pars, dtype=float)

        def sampler(sample_size: int, include_auxiliary: bool = True) -> np.ndarray:
            rng = np.random.default_rng(np.random.randint(0, 2**62))  # noqa: NPY002 (np.random.seed)
            toys = self.model.sample(pars, int(sample_size), rng=rng)
            return toys if include_auxiliary else toys[:, :self._n_main]
        return sampler

    # -- spey's fast paths: likelihub's fits ---------------------------------------------------
    def _fixed(self, poi_test) -> dict[str, float]:
        """spey's ``poi_test`` (a value of the POI, or {index or name: value}) as {name: value}."""
        names = self.model.config.parameter_names
        if not isinstance(poi_test, dict):
            return {names[self._poi]: float(poi_test)}
        return {(key if isinstance(key, str) else names[int(key)]): float(value)
                for key, value in poi_test.items()}

    def _data_fits(self, expected, data):
        if data is not None:
            full = self._data(expected, data)
            return self._fits.data_set(("data", full.tobytes()), full)
        kind = "apriori" if expected == ExpectationType.apriori else "observed"
        return self._fits.data_set(kind, self._data(expected))

    def _asimov_fits(self, expected, test_statistics: str):
        """The fits of the Asimov data spey's calculators use: the expected data at the fit of
        ``expected``'s data with the POI at 1 (q0) or 0 (q_mu, q~_mu), as spey makes them."""
        kind = "apriori" if expected == ExpectationType.apriori else "observed"
        mu = 1.0 if test_statistics == "q0" else 0.0
        key = ("asimov", kind, mu)
        if key not in self._fits:
            poi = self.model.config.parameter_names[self._poi]
            generating = self._fits.fit(self._data_fits(expected, None), fixed={poi: mu},
                                        allow_negative=test_statistics in ("q", "qmu"))
            return self._fits.data_set(key, self.expected_data(generating.values), generating.values)
        return self._fits.data_set(key)

    def _require_fast_path(self, par_bounds) -> None:
        if not self._likelihub_fits or par_bounds is not None:
            raise NotImplementedError("spey's optimiser makes this fit")

    def _maximum(self, result, poi_indices):
        """(mu-hat, -log L), or ({index or name: value}, -log L) for ``poi_indices``."""
        if poi_indices is None:
            return float(result.values[self._poi]), float(result.nll)
        names = list(self.model.config.parameter_names)
        values = {key: float(result.values[names.index(key) if isinstance(key, str) else int(key)])
                  for key in poi_indices}
        return values, float(result.nll)

    def negative_loglikelihood(self, poi_test=1.0, expected=ExpectationType.observed, data=None,
                               return_parameters: bool = False, init_pars=None, par_bounds=None,
                               **optimiser_options):
        """-log L profiled at ``poi_test`` (spey's ``likelihood``): likelihub's conditional fit."""
        self._require_fast_path(par_bounds)
        result = self._fits.fit(self._data_fits(expected, data), fixed=self._fixed(poi_test),
                                init=init_pars)
        return (float(result.nll), result.values.copy()) if return_parameters else float(result.nll)

    def minimize_negative_loglikelihood(self, expected=ExpectationType.observed,
                                        allow_negative_signal: bool = True, data=None, init_pars=None,
                                        par_bounds=None, poi_indices=None, **optimiser_options):
        """The free fit (spey's ``maximize_likelihood``), the POI >= 0 unless ``allow_negative_signal``;
        spey's ``fixed_poi_value`` holds parameters fixed."""
        self._require_fast_path(par_bounds)
        fixed_values = optimiser_options.get("fixed_poi_value")
        fixed = {} if fixed_values is None else self._fixed(fixed_values)
        result = self._fits.fit(self._data_fits(expected, data), fixed=fixed,
                                allow_negative=allow_negative_signal, init=init_pars)
        return self._maximum(result, poi_indices)

    def asimov_negative_loglikelihood(self, poi_test=1.0, expected=ExpectationType.observed,
                                      test_statistics: str = "qtilde", init_pars=None, par_bounds=None,
                                      **optimiser_options):
        """-log L of the Asimov data profiled at ``poi_test`` (spey's ``asimov_likelihood``)."""
        self._require_fast_path(par_bounds)
        result = self._fits.fit(self._asimov_fits(expected, test_statistics),
                                fixed=self._fixed(poi_test), init=init_pars)
        return float(result.nll)

    def minimize_asimov_negative_loglikelihood(self, expected=ExpectationType.observed,
                                               test_statistics: str = "qtilde", init_pars=None,
                                               par_bounds=None, poi_indices=None, **optimiser_options):
        """The free fit of the Asimov data (spey's ``maximize_asimov_likelihood``), the POI >= 0
        except for q_mu."""
        self._require_fast_path(par_bounds)
        result = self._fits.fit(self._asimov_fits(expected, test_statistics),
                                allow_negative=test_statistics in ("q", "qmu"), init=init_pars)
        return self._maximum(result, poi_indices)
