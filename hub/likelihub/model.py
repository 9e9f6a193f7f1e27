"""StatisticalModel: any backend, with all of likelihub's inference on top.

    model = StatisticalModel(backend)      # usually returned by a backend factory
    model.fit()                            # best fit, with uncertainties
    model.cls(mu=1.0)                      # observed CLs and the expected band (asymptotic)
    model.upper_limit(cl=0.95)             # observed and expected upper limits on mu
    model.significance(); model.chi2(mu); model.sigma_mu(mu); model.profile_interval("mu")
    model.profile_scan({"mu": (0, 3, 31), "theta": (-2, 2, 21)})   # -2 Delta ln L on a grid

Asimov-based methods take ``asimov_global_observables``: ``"fitted"`` (default; pyhf, RooStats,
Combine) or ``"nominal"`` (spey, SModelS); see :mod:`likelihub.infer.asymptotic`. Every public
method checks its arguments on entry (:mod:`likelihub.arguments`): a wrong type, a NaN or an
infinity, a vector of the wrong length or a signal strength below the POI's lower bound is an
:class:`~likelihub.errors.InvalidArgumentError` naming the argument (data sets:
:class:`~likelihub.errors.InvalidDataError`). Hypothesis tests refuse a model whose POI is fixed
by its configuration, as pyhf's ``hypotest`` does (see :meth:`StatisticalModel.calculator`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from likelihub import arguments as check
from likelihub.backend.capabilities import capabilities, missing_members
from likelihub.backend.config import ModelConfig
from likelihub.backend.contract import Backend
from likelihub.backend.views import ReconfiguredBackend
from likelihub.errors import InvalidArgumentError, InvalidModelError
from likelihub.fits.engine import FitResult, fit
from likelihub.hypothesis_tests import CALCULATORS, HypothesisTests
from likelihub.infer import (
    Profiler,
    asimov_data,
    asymptotic_significance,
    draw_toys,
    poi_bounds_for,
    profile_chi2,
)
from likelihub.infer.asymptotic import GLOBAL_OBSERVABLES
from likelihub.infer.intervals import profile_interval, sigma_mu
from likelihub.infer.profile_scan import profile_scan, scan_axes
from likelihub.profile_results import ProfileScanResult
from likelihub.results import IntervalResult, SignificanceResult

__all__ = ["StatisticalModel", "CALCULATORS"]


class StatisticalModel(HypothesisTests):
    """A likelihood with inference: fits, CLs, upper limits, significance.

    Parameters
    ----------
    backend
        Any object satisfying the backend contract (:mod:`likelihub.backend.contract`).
    name
        A label (used by the combiner to prefix parameter names).
    fit_options
        Keywords for every fit (:func:`likelihub.fits.engine.fit`): ``method`` ("minuit" or
        "scipy"), ``edm_max``, and the budget ``max_calls`` (per fit) and ``time_limit`` (per
        inference call; :mod:`likelihub.fits.budget`).
    """

    def __init__(self, backend, name: str | None = None, fit_options: Mapping | None = None):
        if not isinstance(backend, Backend):
            raise InvalidModelError(f"{type(backend).__name__} is not a likelihub backend: "
                                    f"it lacks {missing_members(backend)}")
        if not isinstance(backend.config, ModelConfig):
            raise InvalidModelError(f"{type(backend).__name__}.config must be a ModelConfig")
        if name is not None and not isinstance(name, str):
            raise InvalidArgumentError(f"must be a string or None, got {type(name).__name__}",
                                       argument="name")
        if fit_options is not None and not isinstance(fit_options, Mapping):
            raise InvalidArgumentError(f"must be a mapping of fit keywords, got "
                                       f"{type(fit_options).__name__}", argument="fit_options")
        self.backend = backend
        self.name = name
        self.fit_options = dict(fit_options or {})
        self._n_data = np.asarray(backend.expected_data(backend.config.init)).size
        self._check_data(backend.data, "observed data")

    def __repr__(self) -> str:
        label = f" {self.name!r}" if self.name else ""
        return (f"<StatisticalModel{label}: {type(self.backend).__name__}, "
                f"{self.config.n_parameters} parameters, {self.data.size} data, "
                f"POI {self.config.poi_name!r}>")

    # -- the likelihood ---------------------------------------------------------------------
    @property
    def config(self) -> ModelConfig:
        """Parameters of the model."""
        return self.backend.config

    @property
    def data(self) -> np.ndarray:
        """Observed data: main measurements then auxiliary data."""
        return np.asarray(self.backend.data, dtype=float)

    @property
    def pois(self) -> tuple[str, ...]:
        """Names of the parameters of interest; the tested one is ``config.poi_name``."""
        return self.config.poi_names

    def with_poi(self, poi: str, fixed: Mapping[str, float] | None = None) -> StatisticalModel:
        """The same likelihood with ``poi`` as the parameter that CLs, limits and significances test.

        ``poi`` may be any parameter that is not fixed (another POI of a physics model, a
        normalisation factor, a nuisance parameter: its constraint term, if any, stays). The other
        parameters are profiled, except those in ``fixed`` ({name: value}), held at the value
        given (Combine's ``--redefineSignalPOIs`` with ``--setParameters``/``--freezeParameters``;
        Combine's ``--floatOtherPOIs 1`` is the default here: the other POIs are profiled).
        """
        if not isinstance(poi, str):
            raise InvalidArgumentError(f"must be a parameter name, got {poi!r}", argument="poi")
        name, index = check.free_parameter(poi, config=self.config, argument="poi")
        values = check.fixed_values(fixed, config=self.config)
        if index in values:
            raise InvalidArgumentError(f"fixes the new POI {name!r}", argument="fixed")
        init, flags = np.array(self.config.init, dtype=float), np.array(self.config.fixed, dtype=bool)
        for i, value in values.items():
            init[i], flags[i] = value, True
        pois = tuple(self.config.pois) + (() if index in self.config.pois else (index,))
        config = self.config.replace(poi_index=index, pois=pois, init=init, fixed=flags)
        bounds = np.array(config.bounds, dtype=float)  # a value fixed outside the bounds widens them
        bounds[:, 0], bounds[:, 1] = np.minimum(bounds[:, 0], init), np.maximum(bounds[:, 1], init)
        config = config.replace(bounds=bounds)
        base = self.backend.backend if isinstance(self.backend, ReconfiguredBackend) else self.backend
        return StatisticalModel(ReconfiguredBackend(base, config), name=self.name,
                                fit_options=self.fit_options)

    def _check_data(self, data, what: str = "data") -> np.ndarray:
        layout = self.config.data_layout
        return check.data_set(data, n_data=self._n_data, what=what,
                              kinds=None if layout is None else layout.kinds)

    def _data(self, data) -> np.ndarray:
        return self.data if data is None else self._check_data(data)

    def _pars(self, pars, argument: str = "pars") -> np.ndarray:
        return check.parameter_vector(pars, config=self.config, argument=argument)

    def _mu(self, mu, argument: str = "mu", calculator: str | None = None,
            test_statistic: str = "qtilde") -> float:
        """A finite mu at or above the POI's lower bound (that of the calculator's fits)."""
        poi = self.config.require_poi()
        if calculator in (None, "chi2"):
            low, reason = float(self.config.bounds[poi][0]), "the model's bounds exclude it"
        else:
            low = float(poi_bounds_for(self.config, test_statistic)[poi][0])
            reason = f"the test statistic {test_statistic!r} tests mu >= {low:g} only"
        return check.signal_strength(mu, argument=argument, low=low, reason=reason)

    def _require_free_poi(self, what: str) -> int:
        return check.free_poi(self.config, what=what)

    def logpdf(self, pars: Sequence[float], data: Sequence[float] | None = None) -> float:
        """Full log-likelihood (main and constraint terms) at ``pars``; observed data by default.

        ``pars`` must be finite (NaN is an :class:`~likelihub.errors.InvalidArgumentError`).
        """
        return float(self.backend.logpdf(self._pars(pars), self._data(data)))

    def expected_data(self, pars: Sequence[float]) -> np.ndarray:
        """Expected main and auxiliary data at ``pars``."""
        return np.asarray(self.backend.expected_data(self._pars(pars)), dtype=float)

    def sample(self, pars: Sequence[float], size: int, rng: np.random.Generator | None = None
               ) -> np.ndarray:
        """``size`` toy data sets (main and auxiliary) drawn at ``pars``: shape (size, ndata).

        ``rng`` is a :class:`numpy.random.Generator` (a fresh one if None).
        """
        size = check.whole_number(size, argument="size", minimum=1)
        return draw_toys(self.backend, self._pars(pars), size, check.generator(rng))

    def describe(self) -> str:
        """A short summary of the model (the backend's ``describe()`` where it has one)."""
        if capabilities(self.backend).describe:
            return self.backend.describe()
        return repr(self)

    def asimov_data(self, mu: float = 0.0, asimov_global_observables: str = "fitted",
                    data: Sequence[float] | None = None, prefit: bool = False) -> np.ndarray:
        """Asimov data with the POI at ``mu``: the other parameters at the conditional fit of the
        (observed) data (*a-posteriori*, pyhf's, Combine's ``--toysFrequentist``), or with
        ``prefit=True`` at their initial values, the data unused (*a-priori*, Combine's ``-t -1``
        and ``--run blind``). ``asimov_global_observables`` as in the module docstring."""
        mu = self._mu(mu)
        check.choice(asimov_global_observables, argument="asimov_global_observables",
                     choices=GLOBAL_OBSERVABLES)
        data = self._data(data)
        if check.flag(prefit, argument="prefit"):
            pars = self._prefit_parameters(mu)
        else:
            pars = self.fit(data=data, fixed={self.config.poi_name: mu}, uncertainties=False).values
        return asimov_data(self.backend, pars, data, asimov_global_observables)

    def _prefit_parameters(self, mu: float) -> np.ndarray:
        """The parameters of the pre-fit Asimov data: every one at its initial value, the POI at ``mu``."""
        pars = np.array(self.config.init, dtype=float)
        pars[self.config.require_poi()] = mu
        return pars

    # -- fits --------------------------------------------------------------------------------
    def fit(self, data: Sequence[float] | None = None, fixed: Mapping[str, float] | None = None,
            init: Sequence[float] | None = None, uncertainties: bool = True,
            raise_on_failure: bool = True) -> FitResult:
        """Maximum-likelihood fit.

        Parameters
        ----------
        data
            Data to fit; the observed data by default.
        fixed
            Parameters to hold fixed, {name: value} (finite values; they may lie outside the
            parameters' bounds), on top of those fixed in the config.
        init
            Starting point, one finite value per parameter; the config's initial values by default.
        uncertainties
            Compute standard errors from the Hessian at the minimum.
        raise_on_failure
            Raise :class:`~likelihub.errors.FitError` when no valid minimum is found.
        """
        fixed_values = check.fixed_values(fixed, config=self.config)
        init = None if init is None else self._pars(init, argument="init")
        return fit(self.backend, self._data(data), fixed_values=fixed_values, init=init,
                   uncertainties=uncertainties, raise_on_failure=raise_on_failure, **self.fit_options)

    def fixed_poi_fit(self, mu: float, data: Sequence[float] | None = None,
                      uncertainties: bool = False) -> FitResult:
        """The conditional fit with the POI held at ``mu`` (any finite value)."""
        self.config.require_poi()
        mu = check.real(mu, argument="mu")
        return self.fit(data=data, fixed={self.config.poi_name: mu}, uncertainties=uncertainties)

    def likelihood(self, mu: float, data: Sequence[float] | None = None) -> float:
        """-log L profiled over the nuisance parameters at POI ``mu``."""
        return self.fixed_poi_fit(mu, data=data).nll

    def chi2(self, mu: float, mu_ref: float | None = None,
             data: Sequence[float] | None = None) -> float:
        """-2 ln [L(mu) / L(mu_ref)], profiled; ``mu_ref`` None is the best fit."""
        self._require_free_poi("a profile likelihood ratio")
        mu = self._mu(mu)
        mu_ref = None if mu_ref is None else self._mu(mu_ref, argument="mu_ref")
        profiler = Profiler(self.backend, self._data(data), self.config.bounds, self.fit_options)
        return profile_chi2(profiler, mu, mu_ref)

    # -- hypothesis tests: calculator, cls, cls_scan, upper_limit in HypothesisTests ----------
    def significance(self, asimov_global_observables: str = "fitted", mu_asimov: float = 1.0,
                     data: Sequence[float] | None = None) -> SignificanceResult:
        """Observed and expected discovery significance from q0 (expected: Asimov at ``mu_asimov``)."""
        self._require_free_poi("a discovery significance")
        check.choice(asimov_global_observables, argument="asimov_global_observables",
                     choices=GLOBAL_OBSERVABLES)
        mu_asimov = self._mu(mu_asimov, argument="mu_asimov")
        return asymptotic_significance(self.backend, self._data(data), asimov_global_observables,
                                       mu_asimov, self.fit_options)

    def sigma_mu(self, mu: float = 1.0, method: str = "asimov",
                 asimov_global_observables: str = "fitted",
                 data: Sequence[float] | None = None) -> float:
        """Standard deviation of the POI estimator.

        ``method="asimov"``: sigma = |mu| / sqrt(q_mu,A) with the background-only Asimov data
        (arXiv:1007.1727 eq. 31). ``method="hessian"``: the inverse Hessian of -log L at the
        fit of the data with the POI held at ``mu`` (at the best fit, the usual error on mu-hat).
        """
        poi = self._require_free_poi("sigma_mu")
        method = check.choice(method, argument="method", choices=("asimov", "hessian"))
        check.choice(asimov_global_observables, argument="asimov_global_observables",
                     choices=GLOBAL_OBSERVABLES)
        mu, data = self._mu(mu), self._data(data)
        if method == "asimov" and mu == 0:
            raise InvalidArgumentError("must not be 0 with method='asimov' (sigma = |mu| / "
                                       "sqrt(q_mu,A))", argument="mu")
        at = self.fixed_poi_fit(mu, data=data).values if method == "hessian" else None
        return sigma_mu(self.backend, data, mu, poi=poi, at=at,
                        global_observables=asimov_global_observables, fit_options=self.fit_options)

    def profile_interval(self, parameter: str | None = None, cl: float = 0.6826894921370859,
                         data: Sequence[float] | None = None) -> IntervalResult:
        """Profile-likelihood interval of ``parameter`` (the POI by default), the others profiled:
        where 2 Delta NLL crosses the 1-dof chi-square quantile of ``cl`` (MINOS, Combine's
        ``MultiDimFit --algo singles``; ends cut by a bound are flagged). See
        :mod:`likelihub.infer.intervals`."""
        name, index = check.free_parameter(parameter, config=self.config)
        cl, data = check.probability(cl, argument="cl"), self._data(data)

        def conditional(value, init):  # the fit with the parameter at value (None: free)
            return self.fit(data=data, fixed=None if value is None else {name: value}, init=init,
                            uncertainties=value is None)
        return profile_interval(conditional, index=index, name=name, cl=cl,
                                bounds=tuple(self.config.bounds[index]))

    def profile_scan(self, grid: Mapping[str, Sequence[float] | tuple[float, float, int]], *,
                     data: Sequence[float] | None = None, progress=None) -> ProfileScanResult:
        """Profile-likelihood scan of one or two parameters: -2 Delta ln L on a grid, each point a
        conditional fit (the scanned parameters held, all others profiled) warm-started from a
        neighbouring point, in lock-step batches where the backend has batch derivatives. See
        :mod:`likelihub.infer.profile_scan`.

        Parameters
        ----------
        grid
            ``{name: grid}`` of one or two free parameters (any, not only the POI), in the order of
            the result's axes; each grid is a tuple ``(low, high, n)`` (``numpy.linspace``) or a
            sequence of strictly increasing values, within the parameter's bounds.
        data
            Data to fit; the observed data by default.
        progress
            A progress bar of the grid points fitted: None (default) on a terminal, True, False,
            or the caller's bar (:mod:`likelihub.progress`).

        Returns
        -------
        ProfileScanResult
            The grid, -2 Delta ln L relative to the free fit, the conditional fits, the best fit;
            ``crossings(cl)`` of a 1D scan and ``contours(levels)`` of a 2D one.
        """
        axes = scan_axes(grid, config=self.config)
        return profile_scan(self.backend, self._data(data), axes, fit_options=self.fit_options,
                            progress=progress)
