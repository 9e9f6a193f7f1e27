"""likelihub's simplified likelihoods inside spey: ``spey.get_backend("likelihub.<name>")``.

Peer numbers: spey 0.2.7's own ``default.*`` backends on the same inputs, with spey's minuit optimiser
(``SPEY_OPTIMISER=minuit``; spey's default scipy SLSQP fit fails on CMS-NOTE-2017-001: -log L 1.5e7
at its "best fit", CLs 1); ``python benchmarks/bench_spey.py --references`` prints them. Tolerances:
spey's fits stop at ``tol=1e-6`` on -log L, which moves q_mu by ~2e-6 and CLs by less than 1e-6 here
(abs 1e-5 asserted); spey's upper limits are TOMS 748 roots with ``rtol=1e-4``, whose final bracket
is at most 2 rtol |x| wide (rel 2e-4 asserted between two such roots).
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import multivariate_normal

import likelihub as lh
from likelihub.errors import InvalidArgumentError, InvalidDataError

SPEY_CLS_ABS = 1e-5      # spey's fit tolerance (module docstring)
SPEY_LIMIT_REL = 2e-4    # spey's TOMS 748 rtol 1e-4: the bracket's width (module docstring)

# spey 0.2.7, default backends, SPEY_OPTIMISER=minuit (benchmarks/bench_spey.py --references)
SPEY_REFERENCE = {
    "CMS-NOTE-2017-001": {
        "cls_obs": 0.20406585462135685,
        "cls_exp": [0.00024704594159152826, 0.0021880912245176853, 0.016765133958191458,
                    0.09744958213649735, 0.3556881407785246],
        "limit_obs": 1.3159236106527312, "limit_apriori": 0.7302253610773024,
        "sigma_mu": 0.3938028800178556},
    "model-90[:10] correlated_background": {
        "cls_obs": 0.74254109910738,
        "cls_exp": [0.3251367249668553, 0.47463870888112203, 0.6618301721349611, 0.8476317604977195,
                    0.9628326583197461],
        "limit_obs": 3.6508873641778417, "limit_apriori": 2.7976919778781504},
    "model-90[:10] third_moment_expansion": {
        "cls_obs": 0.7492403475332061,
        "cls_exp": [0.33970225989409775, 0.4890195869159847, 0.6733890057287675, 0.8540330701338457,
                    0.9647220006688979],
        "limit_obs": 3.64639960938857, "limit_apriori": 2.78320623701938},
}

NAMES = ["correlated_background", "third_moment_expansion", "uncorrelated_background", "effective_sigma",
         "poisson", "normal", "multivariate_normal"]


def _small_inputs():
    """A 3-bin model and each backend's extra arguments, by spey's names."""
    rng = np.random.default_rng(7)
    sigma = np.array([2.0, 1.5, 1.0])
    root = rng.normal(size=(3, 3))
    covariance = root @ root.T + np.diag(sigma**2)
    correlation = covariance / np.sqrt(np.outer(np.diag(covariance), np.diag(covariance)))
    common = dict(signal_yields=[3.0, 2.0, 1.5], background_yields=[10.0, 7.0, 4.0], data=[12, 6, 7])
    extra = {
        "correlated_background": dict(covariance_matrix=covariance),
        "third_moment_expansion": dict(covariance_matrix=covariance, third_moment=[0.5, 0.3, 0.2]),
        "uncorrelated_background": dict(absolute_uncertainties=sigma),
        "effective_sigma": dict(correlation_matrix=correlation,
                                absolute_uncertainty_envelops=np.c_[1.2 * sigma, -0.8 * sigma]),
        "poisson": {},
        "normal": dict(absolute_uncertainties=sigma),
        "multivariate_normal": dict(covariance_matrix=covariance),
    }
    return common, extra


def _cls(model, spey, expected=None):
    """CLs (observed, expected band ascending) of a spey model: spey returns 1 - CLs."""
    observed, band = model.exclusion_confidence_level(expected="all")
    return 1.0 - observed[0], [1.0 - x for x in band]


def test_every_backend_is_registered_with_speys_names(spey):
    available = spey.AvailableBackends()
    for name in NAMES + ["histfactory"]:
        assert f"likelihub.{name}" in available
        assert spey.get_backend_metadata(f"likelihub.{name}")["name"] == f"likelihub.{name}"


@pytest.mark.parametrize("name", [n for n in NAMES if n != "effective_sigma"])
def test_logpdf_is_speys_default_likelihood(spey, name):
    # same parameters (mu, then one nuisance per bin), same log-likelihood: the closed forms agree
    # to rounding (1e-9 on log L of order 10), except the third-moment expansion, where spey adds
    # eps = 1e-5 to C_i in rho_ij (its third_moment.py): the difference is then exactly that of the
    # two constraint terms log MVN(theta | 0, rho), to rounding
    common, extra = _small_inputs()
    theirs = spey.get_backend(f"default.{name}")(**common, **extra[name])
    ours = spey.get_backend(f"likelihub.{name}")(**common, **extra[name])
    assert ours.backend.config().npar == theirs.backend.config().npar
    rng = np.random.default_rng(3)
    for _ in range(3):
        pars = np.r_[rng.uniform(0.2, 1.5), rng.normal(scale=0.5, size=ours.backend.config().npar - 1)]
        expected_gap = 0.0
        if name == "third_moment_expansion":
            from spey.backends.default_pdf.third_moment import third_moment_expansion as spey_expansion

            from likelihub_simplified import third_moment_expansion

            args = (np.asarray(common["background_yields"]), extra[name]["covariance_matrix"],
                    np.asarray(extra[name]["third_moment"]))
            rho_spey = spey_expansion(*args, return_correlation_matrix=True)[3]
            rho_ours = third_moment_expansion(*args).rho
            expected_gap = (multivariate_normal(np.zeros(3), rho_spey).logpdf(pars[1:])
                            - multivariate_normal(np.zeros(3), rho_ours).logpdf(pars[1:]))
            assert abs(expected_gap) > 1e-9   # the eps is visible: the check below is not vacuous
        gap = theirs.backend.get_logpdf_func()(pars) - ours.backend.get_logpdf_func()(pars)
        assert gap == pytest.approx(expected_gap, abs=1e-9)


def test_effective_sigma_is_likelihubs_model(spey):
    # spey's default.effective_sigma is another likelihood (module docstring of
    # likelihub_spey.simplified); ours is likelihub's simplified.effective_sigma with spey's argument
    # names, the (upper, lower) envelopes taken as absolute values as spey takes them
    common, extra = _small_inputs()
    ours = spey.get_backend("likelihub.effective_sigma")(**common, **extra["effective_sigma"])
    direct = lh.get_backend("simplified.effective_sigma")(
        **common, correlation_matrix=extra["effective_sigma"]["correlation_matrix"],
        absolute_uncertainty_envelopes=np.abs(extra["effective_sigma"]["absolute_uncertainty_envelops"]))
    pars = np.array([0.7, 0.3, -0.4, 1.1])
    assert ours.backend.get_logpdf_func()(pars) == pytest.approx(direct.logpdf(pars), abs=1e-12)
    # CLs: the same fits (likelihub's, warm-started differently) to their EDM bound 1e-8 in -log L
    cls_obs, _ = _cls(ours, spey)
    assert cls_obs == pytest.approx(direct.cls(1.0, asimov_global_observables="nominal").cls_obs, abs=1e-6)


@pytest.mark.parametrize("case, name, n_bins", [
    ("CMS-NOTE-2017-001", "correlated_background", None),
    ("model-90[:10] correlated_background", "correlated_background", 10),
    ("model-90[:10] third_moment_expansion", "third_moment_expansion", 10),
])
def test_cls_and_limits_are_speys(spey, simplified_inputs, case, name, n_bins):
    source = "CMS-NOTE-2017-001" if case.startswith("CMS") else "SModelS-unittest-model-90"
    arguments = simplified_inputs(source, n_bins)
    if name == "correlated_background":
        arguments.pop("third_moment", None)
    model = spey.get_backend(f"likelihub.{name}")(**arguments, analysis=case)
    reference = SPEY_REFERENCE[case]
    cls_obs, cls_exp = _cls(model, spey)
    assert cls_obs == pytest.approx(reference["cls_obs"], abs=SPEY_CLS_ABS)
    np.testing.assert_allclose(cls_exp, reference["cls_exp"], rtol=0, atol=SPEY_CLS_ABS)
    limit = model.poi_upper_limit()
    assert limit == pytest.approx(reference["limit_obs"], rel=SPEY_LIMIT_REL)
    apriori = model.poi_upper_limit(expected=spey.ExpectationType.apriori)
    assert apriori == pytest.approx(reference["limit_apriori"], rel=SPEY_LIMIT_REL)

    # likelihub's own numbers (Asimov global observables nominal, spey's convention): the same
    # likelihood and fitter; CLs to the fits' EDM bound (1e-8 in -log L: < 1e-6 in CLs), limits to
    # spey's TOMS 748 bracket (likelihub's own root is found to rtol 1e-6)
    direct = lh.get_backend(f"simplified.{name}")(**arguments)
    ours = direct.cls(1.0, asimov_global_observables="nominal")
    assert cls_obs == pytest.approx(ours.cls_obs, abs=1e-6)
    np.testing.assert_allclose(cls_exp, ours.cls_exp, rtol=0, atol=1e-6)
    own_limit = direct.upper_limit(expected="observed", asimov_global_observables="nominal").observed
    assert limit == pytest.approx(own_limit, rel=SPEY_LIMIT_REL)
    if case.startswith("CMS"):
        # SModelS's unit test testModel8: 131.586 for signal / 100, i.e. 1.31586 here (checked there to 1e-2)
        assert limit == pytest.approx(1.3158637474312224, rel=SPEY_LIMIT_REL)


def test_sigma_mu_from_the_analytic_hessian(spey, simplified_inputs):
    # spey's sigma_mu inverts the Hessian of log L at the fit with mu held (spey's own fit, on
    # likelihub's gradient); spey's default backend (autograd Hessian) gives the reference. Both
    # fits stop at spey's tol 1e-6: sigma_mu agrees to ~1e-6 relative (1e-5 asserted)
    arguments = simplified_inputs("CMS-NOTE-2017-001")
    model = spey.get_backend("likelihub.correlated_background")(**arguments)
    sigma = model.sigma_mu(1.0)
    assert sigma == pytest.approx(SPEY_REFERENCE["CMS-NOTE-2017-001"]["sigma_mu"], rel=1e-5)
    direct = lh.get_backend("simplified.correlated_background")(**arguments)
    assert sigma == pytest.approx(direct.sigma_mu(1.0, method="hessian"), rel=1e-5)


def test_likelihubs_fits_give_what_speys_optimiser_gives(spey, simplified_inputs):
    # likelihub_fits=False: spey's own pipeline (its Asimov data, its SLSQP fits with likelihub's
    # gradient) on the same likelihood; the fast paths must compute the same quantities
    arguments = simplified_inputs("SModelS-unittest-model-90", 10)
    arguments.pop("third_moment")
    fast = spey.get_backend("likelihub.correlated_background")(**arguments)
    slow = spey.get_backend("likelihub.correlated_background")(**arguments, likelihub_fits=False)
    for expected in (spey.ExpectationType.observed, spey.ExpectationType.apriori):
        np.testing.assert_allclose(fast.exclusion_confidence_level(expected=expected),
                                   slow.exclusion_confidence_level(expected=expected),
                                   rtol=0, atol=SPEY_CLS_ABS)
    muhat, nll = fast.maximize_likelihood()
    slow_muhat, slow_nll = slow.maximize_likelihood()
    # -log L at the minimum: spey's tol 1e-6, ours EDM 1e-8 (and ours is the lower)
    assert nll == pytest.approx(slow_nll, abs=1e-6)
    assert nll <= slow_nll + 1e-8
    assert fast.likelihood(0.5) == pytest.approx(slow.likelihood(0.5), abs=1e-6)
    assert fast.chi2(1.0) == pytest.approx(slow.chi2(1.0), abs=2e-6)


def test_toys_are_reproducible_and_agree_with_the_asymptotic_cls(spey):
    common, extra = _small_inputs()
    model = spey.get_backend("likelihub.uncorrelated_background")(
        **common, **extra["uncorrelated_background"], ntoys=200)
    sampler = model.backend.get_sampler(np.array([1.0, 0.0, 0.0, 0.0]))
    np.random.seed(11)  # noqa: NPY002 (spey's toys follow numpy's global state: so do ours)
    first = sampler(5)
    np.random.seed(11)  # noqa: NPY002
    assert np.array_equal(sampler(5), first)
    assert first.shape == (5, 6) and sampler(5, include_auxiliary=False).shape == (5, 3)
    np.random.seed(5)  # noqa: NPY002
    toys = model.exclusion_confidence_level(calculator="toy", verbose=False)[0]
    asymptotic = model.exclusion_confidence_level()[0]
    # 1 - CLs from 200 toys per hypothesis: binomial errors ~0.035 on CLs+b and CLb, ~0.07 on CLs
    # at these values: 0.2 allowed (3 sigma; the asymptotic formula is itself approximate here)
    assert toys == pytest.approx(asymptotic, abs=0.2)


def test_arguments_likelihub_does_not_model_are_refused(spey):
    common, extra = _small_inputs()
    cases = [
        ("correlated_background", dict(modifiers=[{"type": "normalization"}]), "modifiers"),
        ("correlated_background", dict(n_signal_parameters=1), "n_signal_parameters"),
        ("normal", dict(signal_parameter_bounds=[(0, 1)]), "signal_parameter_bounds"),
        ("poisson", dict(absolute_uncertainties=[1.0, 1.0, 1.0]), "absolute_uncertainties"),
    ]
    for name, bad, argument in cases:
        with pytest.raises(InvalidArgumentError, match=f"argument '{argument}'"):
            spey.get_backend(f"likelihub.{name}")(**common, **extra[name], **bad)
    with pytest.raises(InvalidArgumentError, match="argument 'signal_yields'"):
        spey.get_backend("likelihub.poisson")(**{**common, "signal_yields": lambda pars: pars})
    model = spey.get_backend("likelihub.uncorrelated_background")(**common,
                                                                  **extra["uncorrelated_background"])
    with pytest.raises(InvalidDataError, match="argument 'data'"):
        model.likelihood(1.0, data=[1.0, 2.0])
    # main data alone are completed with the nominal auxiliary data, as spey's default backends do
    assert model.likelihood(1.0, data=common["data"]) == pytest.approx(model.likelihood(1.0), abs=1e-12)
