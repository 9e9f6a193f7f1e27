"""The correlated combiner on small HistFactory workspaces: sharing rules, closed forms, errors.

Origins: a two-channel workspace is the reference of its two one-channel halves combined by name
(the same terms: 1e-12 relative); a constraint counted once is checked against its closed form
(scipy.stats: the Poisson pmf, the normal and bivariate normal densities); the contract's checks
(likelihub.backend.checks.check_backend: finite differences at rtol 1e-5).
"""

from __future__ import annotations

import copy

import numpy as np
import pytest
from scipy import stats

import likelihub as lh
from likelihub.backend.checks import check_backend
from likelihub.errors import CapabilityError, InvalidModelError

pytest.importorskip("likelihub_histfactory")
pytest.importorskip("likelihub_simplified")

from likelihub_combiner.backend import UncorrelatedCombination  # noqa: E402
from likelihub_combiner.correlated import CorrelatedCombination  # noqa: E402

SAME_TERMS = 1e-12  # the same terms summed in another order


def channel(name: str, signal, background, stat, shape_tau_from, syst="syst", lumi=True):
    modifiers = [{"name": syst, "type": "normsys", "data": {"hi": 1.1, "lo": 0.92}},
                 {"name": f"stat_{name}", "type": "staterror", "data": stat},
                 {"name": f"shape_{name}", "type": "shapesys", "data": shape_tau_from},
                 {"name": "k_bkg", "type": "normfactor", "data": None},
                 {"name": "shift", "type": "histosys",
                  "data": {"hi_data": [b * 1.05 for b in background],
                           "lo_data": [b * 0.97 for b in background]}}]
    if lumi:
        modifiers.append({"name": "lumi", "type": "lumi", "data": None})
    return {"name": name, "samples": [
        {"name": "signal", "data": signal, "modifiers": [{"name": "mu", "type": "normfactor", "data": None}]
         + ([{"name": "lumi", "type": "lumi", "data": None}] if lumi else [])},
        {"name": "background", "data": background, "modifiers": modifiers}]}


def workspace(channels, observations, lumi_sigma=0.02):
    parameters = [{"name": "lumi", "auxdata": [1.0], "sigmas": [lumi_sigma], "bounds": [[0.5, 1.5]]},
                  {"name": "k_bkg", "bounds": [[0.0, 5.0]]}]
    return {"channels": channels, "observations": observations, "version": "1.0.0",
            "measurements": [{"name": "meas", "config": {"poi": "mu", "parameters": parameters}}]}


A = channel("A", [3.0, 5.0], [20.0, 12.0], [2.0, 1.5], [3.0, 2.0])
B = channel("B", [1.0, 4.0, 2.0], [50.0, 30.0, 8.0], [4.0, 3.0, 1.0], [6.0, 4.0, 1.5])
OBS_A, OBS_B = {"name": "A", "data": [25.0, 14.0]}, {"name": "B", "data": [48.0, 36.0, 11.0]}


def build(spec, **options):
    return lh.get_backend("histfactory")(spec, unused_parameters="ignore", **options)


@pytest.fixture(scope="module")
def halves():
    return build(workspace([A], [OBS_A])), build(workspace([B], [OBS_B]))


@pytest.fixture(scope="module")
def full():
    return build(workspace([A, B], [OBS_A, OBS_B]))


def parameters_in(combined, full, pars):
    names = list(combined.config.parameter_names)
    out = np.empty(len(names))
    for name, value in zip(full.config.parameter_names, pars, strict=True):
        out[next(names.index(n) for n in (name, f"a/{name}", f"b/{name}") if n in names)] = value
    return out


def test_two_channels_split_and_combined_by_name_are_the_workspace(halves, full):
    combined = lh.combine(*halves, names=["a", "b"], correlate="names")
    assert isinstance(combined.backend, CorrelatedCombination)
    assert combined.config.n_parameters == full.config.n_parameters
    assert {m.name for m in combined.backend.merged} == {"mu", "syst", "k_bkg", "shift", "lumi"}
    rng = np.random.default_rng(2)
    for _ in range(4):
        pars = np.clip(full.config.init + 0.3 * rng.standard_normal(full.config.n_parameters), 0.05, 4.0)
        pars[[i for i, n in enumerate(full.config.parameter_names) if n in ("syst", "shift")]] -= 1.0
        mine = parameters_in(combined, full, pars)
        assert combined.backend.logpdf(mine, combined.data) == pytest.approx(
            full.backend.logpdf(pars, full.data), rel=SAME_TERMS)
    check_backend(combined.backend, rng=np.random.default_rng(0))
    assert combined.cls(1.0).cls_obs == pytest.approx(full.cls(1.0).cls_obs, rel=1e-8)  # the 1e-8
    batch = np.stack([combined.config.init, combined.config.init + 0.1])
    values, grads = combined.backend.value_and_grad_batch(batch, combined.data)
    # batch and single evaluations: the same arithmetic row by row (1e-12)
    for row, value, grad in zip(batch, values, grads, strict=True):
        single = combined.backend.value_and_grad(row, combined.data)
        assert value == pytest.approx(single[0], rel=1e-12)
        np.testing.assert_allclose(grad, single[1], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(combined.backend.hessian_batch(batch, combined.data)[1],
                               combined.backend.hessian(batch[1], combined.data), rtol=1e-12, atol=1e-12)


def test_a_shared_poisson_constraint_is_counted_once():
    # one shapesys "sh" (tau = (20 / 2)^2 = 100) in two analyses, shared by name
    def single(name, observed):
        spec = workspace([{"name": name, "samples": [
            {"name": "signal", "data": [2.0],
             "modifiers": [{"name": "mu", "type": "normfactor", "data": None}]},
            {"name": "background", "data": [20.0], "modifiers": [
                {"name": "sh", "type": "shapesys", "data": [2.0]}]}]}], [{"name": name, "data": [observed]}])
        spec["measurements"][0]["config"]["parameters"] = []
        return build(spec)

    first, second = single("X", 23.0), single("Y", 17.0)
    combined = lh.combine(first, second, names=["x", "y"], correlate=["sh[0]"])
    assert [str(m) for m in combined.backend.merged][1] == "sh[0] <- x/sh[0], y/sh[0] [poisson(tau=100)]"
    theta, mu = 1.07, 0.8
    pars = {"mu": mu, "sh[0]": theta}
    combined_pars = [pars[n] for n in combined.config.parameter_names]
    own = [[pars[n] for n in m.config.parameter_names] for m in (first, second)]
    sum_of_parts = sum(m.backend.logpdf(p, m.data) for m, p in zip((first, second), own, strict=True))
    # the duplicated term: Poisson(100 | 100 theta), scipy's pmf
    expected = sum_of_parts - stats.poisson.logpmf(100, 100 * theta)
    assert combined.backend.logpdf(combined_pars, combined.data) == pytest.approx(expected, rel=1e-12)
    assert combined.data.size == 2 + 1  # two bins, the shared auxiliary datum once


def test_explicit_map_list_and_default(halves, full):
    renamed = copy.deepcopy(workspace([B], [OBS_B]))
    for sample in renamed["channels"][0]["samples"]:
        for modifier in sample["modifiers"]:
            if modifier["name"] == "syst":
                modifier["name"] = "syst_b"
    b_renamed = build(renamed)
    by_map = lh.combine(halves[0], b_renamed, names=["a", "b"],
                        correlate={"a/syst": "b/syst_b", "a/lumi": ["b/lumi"], "a/k_bkg": "b/k_bkg",
                                   "a/shift": "b/shift"})
    by_name = lh.combine(*halves, names=["a", "b"], correlate="names")
    assert "a/syst" in by_map.config.parameter_names and "lumi" in by_map.config.parameter_names
    assert by_map.backend.logpdf(by_map.config.init, by_map.data) == pytest.approx(
        by_name.backend.logpdf(by_name.config.init, by_name.data), rel=SAME_TERMS)
    by_list = lh.combine(*halves, names=["a", "b"], correlate=["syst", "lumi", "k_bkg", "shift"])
    assert by_list.config.parameter_names == by_name.config.parameter_names
    # nothing shared: the uncorrelated combiner, as before
    plain = lh.combine(*halves, names=["a", "b"])
    assert isinstance(plain.backend, UncorrelatedCombination)
    assert not isinstance(plain.backend, CorrelatedCombination)


def test_pois_kept_apart(halves):
    combined = lh.combine(*halves, names=["a", "b"], correlate="names", shared_poi=False)
    names = combined.config.parameter_names
    assert combined.config.poi_name == "a/mu" and "b/mu" in names and "mu" not in names
    assert combined.pois == ("a/mu", "b/mu")  # every component's POI; test b's with with_poi
    assert combined.with_poi("b/mu").config.poi_name == "b/mu"
    pars = combined.config.init.copy()
    pars[names.index("b/mu")] = 2.0
    own = [m.config.init.copy() for m in halves]
    own[1][halves[1].config.poi_index] = 2.0
    # the shared parameters at their inits: each half's logpdf, less the duplicated constraints
    lumi = stats.norm.logpdf(1.0, 1.0, 0.02)  # the duplicated lumi constraint at its init
    syst_and_shift = 2 * stats.norm.logpdf(0.0, 0.0, 1.0)
    parts = sum(m.backend.logpdf(p, m.data) for m, p in zip(halves, own, strict=True))
    assert combined.backend.logpdf(pars, combined.data) == pytest.approx(parts - lumi - syst_and_shift,
                                                                         rel=1e-12)
    assert "POI 'mu' = 1 * 'b/mu'" in combined.describe()


def test_partially_correlated_gaussians_are_a_bivariate_normal(halves):
    rho = 0.6
    combined = lh.combine(*halves, names=["a", "b"], correlate=["mu"],
                          correlation={("a/syst", "b/syst"): rho})
    names = combined.config.parameter_names
    pars = combined.config.init.copy()
    pars[names.index("a/syst")], pars[names.index("b/syst")] = 0.4, -0.7
    uncorrelated = lh.combine(*halves, names=["a", "b"], correlate=["mu"])
    assert uncorrelated.config.parameter_names == names
    # log N2((0, 0) | (0.4, -0.7), [[1, rho], [rho, 1]]) replaces the two unit normals
    bivariate = stats.multivariate_normal.logpdf([0.0, 0.0], [0.4, -0.7], [[1.0, rho], [rho, 1.0]])
    univariate = stats.norm.logpdf(0.4) + stats.norm.logpdf(-0.7)
    assert combined.backend.logpdf(pars, combined.data) == pytest.approx(
        uncorrelated.backend.logpdf(pars, uncorrelated.data) + bivariate - univariate, rel=1e-12)
    check_backend(combined.backend, pars=pars, rng=np.random.default_rng(0))
    toys = combined.backend.sample(pars, 4000, np.random.default_rng(5))
    assert "correlated: a/syst ~ b/syst (rho = 0.6)" in combined.describe()
    first, second = combined.backend.pairs[0].data
    # the sample correlation of 4000 draws: standard error (1 - rho^2) / sqrt(4000) = 0.01; 5 of them
    assert np.corrcoef(toys[:, first], toys[:, second])[0, 1] == pytest.approx(rho, abs=0.05)


def test_disagreeing_constraints_are_an_error_naming_both(halves):
    wider = build(workspace([B], [OBS_B], lumi_sigma=0.03))
    with pytest.raises(InvalidModelError, match=r"'a/lumi' \(normal\(sigma=0\.02\)\) and 'b/lumi' "
                                                r"\(normal\(sigma=0\.03\)\) have different constraints"):
        lh.combine(halves[0], wider, names=["a", "b"], correlate="names")
    # a constrained parameter with an unconstrained one
    with pytest.raises(InvalidModelError, match=r"'a/syst' \(normal\(sigma=1\)\) and 'b/k_bkg' "
                                                r"\(unconstrained\) have different constraints"):
        lh.combine(*halves, names=["a", "b"], correlate={"a/syst": "b/k_bkg"})


def test_unknown_parameters_are_an_error_naming_them(halves):
    with pytest.raises(InvalidModelError, match="no component has a parameter 'JES'"):
        lh.combine(*halves, names=["a", "b"], correlate=["JES"])
    with pytest.raises(InvalidModelError, match="component 'b' has no parameter 'JES'"):
        lh.combine(*halves, names=["a", "b"], correlate={"a/syst": "b/JES"})
    with pytest.raises(InvalidModelError, match="'c/syst' names no component parameter"):
        lh.combine(*halves, names=["a", "b"], correlate={"a/syst": "c/syst"})
    with pytest.raises(InvalidModelError, match="only component 'a' has a parameter 'stat_A\\[0\\]'"):
        lh.combine(*halves, names=["a", "b"], correlate=["stat_A[0]"])
    with pytest.raises(InvalidModelError, match="'a/k_bkg' has no symmetric Gaussian constraint"):
        lh.combine(*halves, names=["a", "b"], correlation={("a/k_bkg", "b/syst"): 0.5})


def test_bounds_that_do_not_overlap_are_an_error(halves):
    spec = workspace([B], [OBS_B])
    spec["measurements"][0]["config"]["parameters"][1]["bounds"] = [[6.0, 9.0]]
    spec["measurements"][0]["config"]["parameters"][1]["inits"] = [7.0]
    with pytest.raises(InvalidModelError, match=r"'a/k_bkg' and 'b/k_bkg' have bounds that do not overlap"):
        lh.combine(halves[0], build(spec), names=["a", "b"], correlate=["k_bkg"])


def test_a_component_without_constraint_terms_cannot_share_nuisances(halves):
    simple = lh.get_backend("simplified.correlated_background")(
        signal_yields=[1.0], background_yields=[10.0], data=[12.0], covariance_matrix=[[4.0]])
    names = [n for n in simple.config.parameter_names if n != simple.config.poi_name]
    with pytest.raises(CapabilityError, match="component 's' does not declare its constraint terms"):
        lh.combine(halves[0], simple, names=["a", "s"], correlate={"a/syst": f"s/{names[0]}"})
    # the POIs alone need no constraint terms
    assert lh.combine(halves[0], simple, names=["a", "s"], correlate=[]).config.poi_name == "mu"
