"""Full likelihood -> simplified likelihood (``likelihub_histfactory.simplify``, ``likelihub simplify``).

The moments of the toys are held to closed forms, each within five of its own standard errors for
the number of toys (the seed is fixed, so each check is deterministic; five standard errors is where
a correct estimator would fail once in 1.7 million seeds):

- a signal region whose background is b exp(0.1 alpha) gamma (a normsys of interpolation code 1
  with hi = e^0.1, lo = e^-0.1: a lognormal; a staterror gamma ~ N(1, s)), no control region: the
  raw moments E[X^k] = b^k exp(k^2 sigma^2 / 2) E[gamma^k] give the mean, variance, third and
  fourth central moments; the standard errors of the sample mean, variance and third moment are
  sqrt(mu2/N), sqrt((mu4 - mu2^2)/N) and sqrt((mu6 - mu3^2 - 6 mu4 mu2 + 9 mu2^3)/N); the
  covariance of the two bins (one lognormal shared, separate gammas) is b1 b2 (e^{2 sigma^2} -
  e^{sigma^2}), its standard error at most (mu4_1 mu4_2)^{1/4} / sqrt(N) (Cauchy-Schwarz);
- a control region of n = 100 observed events and background 100 k, a signal region of
  background 10 k (k a free normalisation factor): the background-only fit of the control region
  gives k-hat = 1 with variance 1/n (the Poisson curvature n / k^2), so the signal region's
  background has mean 10, variance 100 / n = 1 and no third moment (k is Gaussian); fitting
  every channel (10 more observed events) gives the variance 100 / 110.

On a real patch of sbottom region A the simplified CLs at mu = 1 is the generated validation
table's (docs/simplify-validation.json, the same toys) and within the table's worst difference from
the full model's among the patches keeping at least 90% of their signal in the signal region.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

import likelihub as lh
from likelihub.errors import InvalidArgumentError, InvalidModelError
from likelihub_histfactory.cli import commands
from likelihub_histfactory.simplify import SimplifiedLikelihood, default_channels, simplify

N_TOYS = 100_000
SIGMA = 0.1  # the lognormal's log-width (normsys hi = e^0.1, lo = e^-0.1, interpolation code 1)
BACKGROUND = np.array([50.0, 20.0])
STAT = np.array([5.0, 3.0])  # staterror: relative widths 0.1 and 0.15


def _lognormal_workspace() -> dict:
    return {
        "channels": [{"name": "SR", "samples": [
            {"name": "signal", "data": [5.0, 2.0],
             "modifiers": [{"name": "mu", "type": "normfactor", "data": None}]},
            {"name": "background", "data": BACKGROUND.tolist(), "modifiers": [
                {"name": "syst", "type": "normsys", "data": {"hi": math.exp(SIGMA), "lo": math.exp(-SIGMA)}},
                {"name": "staterror_SR", "type": "staterror", "data": STAT.tolist()}]}]}],
        "observations": [{"name": "SR", "data": [52.0, 21.0]}],
        "measurements": [{"name": "m", "config": {"poi": "mu", "parameters": []}}],
        "version": "1.0.0",
    }


def _control_workspace() -> dict:
    k = {"name": "k", "type": "normfactor", "data": None}
    return {
        "channels": [
            {"name": "CR", "samples": [{"name": "background", "data": [100.0], "modifiers": [k]}]},
            {"name": "SR", "samples": [
                {"name": "signal", "data": [3.0], "modifiers": [{"name": "mu", "type": "normfactor",
                                                                 "data": None}]},
                {"name": "background", "data": [10.0], "modifiers": [k]}]}],
        "observations": [{"name": "CR", "data": [100.0]}, {"name": "SR", "data": [10.0]}],
        "measurements": [{"name": "m", "config": {"poi": "mu", "parameters": []}}],
        "version": "1.0.0",
    }


def _gamma_raw(k: int, s: float) -> float:
    """E[gamma^k] for gamma ~ N(1, s^2): sum over even j of C(k, j) s^j (j - 1)!!."""
    return sum(math.comb(k, j) * s ** j * math.prod(range(j - 1, 0, -2)) for j in range(0, k + 1, 2))


def _central(b: float, s: float) -> dict:
    """Central moments mu2, mu3, mu4, mu6 and the mean of X = b exp(SIGMA alpha) gamma."""
    raw = [b ** k * math.exp(k * k * SIGMA ** 2 / 2) * _gamma_raw(k, s) for k in range(7)]
    mean = raw[1]

    def mu(order: int) -> float:
        return sum(math.comb(order, j) * raw[j] * (-mean) ** (order - j) for j in range(order + 1))

    return {"mean": mean, 2: mu(2), 3: mu(3), 4: mu(4), 6: mu(6)}


def test_lognormal_times_staterror_moments_are_the_closed_form():
    sl = simplify(_lognormal_workspace(), interpolation_codes={"normsys": "1"}, n_toys=N_TOYS, seed=1)
    assert sl.metadata["fit_channels"] == [] and sl.metadata["kept_channels"] == ["SR"]
    moments = [_central(b, d / b) for b, d in zip(BACKGROUND, STAT, strict=True)]
    for i, m in enumerate(moments):
        assert sl.background[i] == pytest.approx(m["mean"], abs=5 * math.sqrt(m[2] / N_TOYS))
        assert sl.covariance[i, i] == pytest.approx(m[2], abs=5 * math.sqrt((m[4] - m[2] ** 2) / N_TOYS))
        third_error = math.sqrt((m[6] - m[3] ** 2 - 6 * m[4] * m[2] + 9 * m[2] ** 3) / N_TOYS)
        assert sl.third_moment[i] == pytest.approx(m[3], abs=5 * third_error)
        assert m[3] > 5 * third_error  # the lognormal's skew is resolved, not just bounded
    covariance = BACKGROUND[0] * BACKGROUND[1] * (math.exp(2 * SIGMA ** 2) - math.exp(SIGMA ** 2))
    bound = (moments[0][4] * moments[1][4]) ** 0.25 / math.sqrt(N_TOYS)
    assert sl.covariance[0, 1] == pytest.approx(covariance, abs=5 * bound)
    assert sl.covariance[1, 0] == sl.covariance[0, 1]
    np.testing.assert_allclose(sl.signal, [5.0, 2.0], rtol=1e-12)  # the signal at mu = 1, nominal
    np.testing.assert_array_equal(sl.observed, [52.0, 21.0])


@pytest.mark.parametrize(("fit", "observed_in_fit"), [("control", 100.0), ("all", 110.0)])
def test_control_region_fit_gives_the_poisson_extrapolation(fit, observed_in_fit):
    sl = simplify(_control_workspace(), fit=fit, n_toys=N_TOYS, seed=2)
    variance = 100.0 / observed_in_fit  # 10^2 Var(k-hat), Var(k-hat) = 1 / n
    sigma = math.sqrt(variance)
    assert sl.region_names == ["SR[0]"]
    assert sl.metadata["fit_channels"] == (["CR"] if fit == "control" else ["CR", "SR"])
    assert sl.background_at_fit[0] == pytest.approx(10.0, rel=1e-6)  # k-hat = 1 (fit EDM <= 1e-10)
    assert sl.background[0] == pytest.approx(10.0, abs=5 * sigma / math.sqrt(N_TOYS))
    assert sl.covariance[0, 0] == pytest.approx(variance, abs=5 * variance * math.sqrt(2 / N_TOYS))
    assert sl.third_moment[0] == pytest.approx(0.0, abs=5 * math.sqrt(6 / N_TOYS) * sigma ** 3)


def test_draws_outside_the_domain_are_rejected():
    # background 10 + 5 alpha (a histosys, code 4p: linear for symmetric variations), negative for
    # alpha < -2: the draws are alpha ~ N(0, 1) truncated to alpha >= -2, whose moments are
    # E = 10 + 5 r, Var = 25 (1 + a r - r^2) with a = -2, r = phi(a) / (1 - Phi(a)); the fraction
    # rejected is Phi(-2) (a binomial fraction of the ~N draws)
    workspace = _lognormal_workspace()
    workspace["channels"][0]["samples"][1] = {"name": "background", "data": [10.0, 20.0], "modifiers": [
        {"name": "shift", "type": "histosys", "data": {"hi_data": [15.0, 20.0], "lo_data": [5.0, 20.0]}}]}
    sl = simplify(workspace, n_toys=N_TOYS, seed=3)
    a = -2.0
    tail = 0.5 * math.erfc(-a / math.sqrt(2))  # Phi(-2)
    r = math.exp(-a * a / 2) / math.sqrt(2 * math.pi) / (1 - tail)
    mean, variance = 10 + 5 * r, 25 * (1 + a * r - r * r)
    assert sl.background[0] == pytest.approx(mean, abs=5 * math.sqrt(variance / N_TOYS))
    # the truncated normal's excess kurtosis is below 0.2: SE(variance) < variance sqrt(2.2 / N)
    assert sl.covariance[0, 0] == pytest.approx(variance, abs=5 * variance * math.sqrt(2.2 / N_TOYS))
    assert sl.metadata["rejected_fraction"] == pytest.approx(tail, abs=5 * math.sqrt(tail / N_TOYS))
    assert sl.covariance[1, 1] == 0.0 and sl.background[1] == 20.0  # no modifier acts on bin 2


def test_seeds_reproduce_and_differ():
    first = simplify(_lognormal_workspace(), n_toys=2000, seed=7)
    again = simplify(_lognormal_workspace(), n_toys=2000, seed=7)
    other = simplify(_lognormal_workspace(), n_toys=2000, seed=8)
    for name in ("background", "covariance", "third_moment"):
        np.testing.assert_array_equal(getattr(first, name), getattr(again, name))
        assert not np.array_equal(getattr(first, name), getattr(other, name))


def test_json_loads_in_the_simplified_backends(tmp_path, shared_data):
    sl = simplify(_lognormal_workspace(), n_toys=5000)
    path = sl.save(tmp_path / "simplified.json")
    document = json.loads(path.read_text())
    layout = json.loads((shared_data / "simplified" / "CMS-SUS-20-004-eff.json").read_text())
    shared = {"observed", "background", "covariance", "third_moment", "region_names", "source", "n_bins",
              "background_uncertainty", "notes"}
    assert shared <= set(layout) and shared <= set(document)
    loaded = SimplifiedLikelihood.load(path)
    for name in ("observed", "background", "covariance", "third_moment", "signal", "background_at_fit"):
        np.testing.assert_array_equal(getattr(loaded, name), getattr(sl, name))  # JSON floats round-trip
    assert loaded.region_names == sl.region_names and loaded.metadata == sl.metadata
    by_hand = lh.get_backend("simplified.correlated_background")(
        signal_yields=document["signal"], background_yields=document["background"],
        data=document["observed"], covariance_matrix=document["covariance"])
    by_hand3 = lh.get_backend("simplified.third_moment_expansion")(
        signal_yields=document["signal"], background_yields=document["background"],
        data=document["observed"], covariance_matrix=document["covariance"],
        third_moment=document["third_moment"])
    for made, kind in ((by_hand, "correlated_background"), (by_hand3, "third_moment_expansion")):
        model = loaded.model(kind)
        pars = model.config.init
        assert model.backend.logpdf(pars, model.data) == made.backend.logpdf(pars, made.data)
        assert model.cls(1.0).cls_obs == pytest.approx(made.cls(1.0).cls_obs, abs=1e-12)


def test_batch_equals_the_single_evaluations():
    backend = lh.get_backend("histfactory")(_control_workspace()).backend
    pars = np.array([[1.0, 0.5], [0.0, 2.0], [3.0, 0.9]])  # (mu, k) in the model's order
    assert list(backend.config.parameter_names) == ["k", "mu"]
    rows = np.array([backend.expected_main(p) for p in pars])
    np.testing.assert_array_equal(backend.expected_main_batch(pars), rows)
    with pytest.raises(lh.errors.InvalidDataError, match="expected"):
        backend.expected_main_batch(pars[:, :1])


def test_default_channels_are_the_signal_regions():
    # ATLAS names: 3L eRJR's CRISR is a control region; 1Lbb's control regions are WR and TR named
    assert default_channels(["CRlow_cuts", "CRISR_cuts", "SRlow_cuts", "SRISR_cuts"], ["SRlow_cuts"]) == [
        "SRlow_cuts", "SRISR_cuts"]
    assert default_channels(["WREM_cuts", "SRHMEM_mct2"], ["WREM_cuts", "SRHMEM_mct2"]) == ["SRHMEM_mct2"]
    assert default_channels(["A", "B_CR"], ["A", "B_CR"]) == ["A"]  # no SR name: channels with signal


def test_errors_name_what_is_wrong():
    with pytest.raises(InvalidArgumentError, match="names no channel") as error:
        simplify(_control_workspace(), channels=["SRX"], n_toys=10)
    assert error.value.location["argument"] == "channels"
    with pytest.raises(InvalidArgumentError) as error:
        simplify(_control_workspace(), fit="prefit", n_toys=10)
    assert error.value.location["argument"] == "fit"
    with pytest.raises(InvalidArgumentError) as error:
        simplify(_control_workspace(), n_toys=5)
    assert error.value.location["argument"] == "n_toys"
    with pytest.raises(InvalidArgumentError) as error:
        simplify(_control_workspace(), interpolation_codes="4", n_toys=10)
    assert error.value.location["argument"] == "interpolation_codes"
    # k free and unconstrained, the control region not fitted (kept): nothing determines it
    with pytest.raises(InvalidModelError, match="nothing determines it") as error:
        simplify(_control_workspace(), channels=["CR", "SR"], n_toys=10)
    assert error.value.location["modifier"] == "k"
    no_signal = _control_workspace()
    no_signal["channels"][1]["samples"][0]["modifiers"][0] = {"name": "mu", "type": "normsys",
                                                              "data": {"hi": 1.1, "lo": 0.9}}
    with pytest.raises(InvalidModelError, match="no sample carries the POI"):
        simplify(no_signal, n_toys=10)


def test_cli_writes_the_json(tmp_path):
    workspace = tmp_path / "ws.json"
    workspace.write_text(json.dumps(_control_workspace()))
    output = tmp_path / "sl.json"
    command = next(c for c in commands if c.name == "simplify")
    arguments = [str(workspace), "--ntoys", "1000", "--seed", "3", "-o", str(output)]
    result = CliRunner().invoke(command, arguments)
    assert result.exit_code == 0, result.output
    assert "kept SR; background-only fit of CR; 1000 toys (seed 3" in result.output
    written = SimplifiedLikelihood.load(output)
    direct = simplify(str(workspace), n_toys=1000, seed=3)
    np.testing.assert_array_equal(written.covariance, direct.covariance)
    result = CliRunner().invoke(command, [str(workspace), "--channel", "nope"])
    assert result.exit_code == 1 and "names no channel" in result.output


#: The generated validation table (docs/simplify_validation.py): its rows are this test's origin.
TABLE = Path(__file__).resolve().parents[2] / "docs" / "simplify-validation.json"


def test_sbottom_patch_cls_within_the_tables_accuracy(shared_data):
    """sbottom region A, sbottom_1000_995_60 (97% of its signal in the signal region): the simplified
    CLs(mu = 1) is within the table's worst difference for such patches of the full model's, and
    is the table's value (the same toys: seed 0, 20000 draws) -- the committed page is current."""
    rows = {r["patch"]: r for r in json.loads(TABLE.read_text())["rows"] if r["analysis"] == "sbottom"}
    row = rows["sbottom_1000_995_60"]
    # the accuracy the table states for patches keeping >= 90% of their signal (its summary)
    worst = max(abs(r[kind]["cls_obs"] - r["full"]["cls_obs"]) for r in rows.values()
                if r["signal_fraction_kept"] >= 0.9 and "cls_obs" in r["full"]
                for kind in ("correlated_background", "third_moment_expansion"))
    assert worst < 0.03  # the page's statement: |Delta CLs(1) obs| <= 0.028 for these 23 patches
    archive = shared_data / "histfactory" / "atlas-susy-2018-31-sbottom.tar.gz"
    options = {"member": "RegionA/BkgOnly.json", "patches": ["RegionA/patch.sbottom_1000_995_60.json"]}
    full = lh.get_backend("histfactory")(str(archive), **options).cls(1.0).cls_obs
    sl = simplify(str(archive), **options)
    assert sl.metadata["signal_fraction_kept"] == pytest.approx(row["signal_fraction_kept"], rel=1e-12)
    # the full model's CLs: the table's to the fits' precision (EDM <= 1e-10: CLs to ~1e-6)
    assert full == pytest.approx(row["full"]["cls_obs"], abs=1e-6)
    for kind in ("correlated_background", "third_moment_expansion"):
        cls = sl.model(kind).cls(1.0).cls_obs
        assert cls == pytest.approx(row[kind]["cls_obs"], abs=1e-6)  # same toys, same fits
        assert abs(cls - full) <= worst
