"""The four-channel H->WW counting cards of Combine's validation suite (1 fb^-1, mH 140 and 160)
against Combine's reference.json (../shared/data/datacards/combine_docs/hww4ch_1fb_counting).

- ``Asymptotic``: AsymptoticLimits, observed and the 2.5..97.5% expected band; ``S0``: the same
  with ``-S 0`` (every nuisance frozen at its nominal value). Combine stops its searches at
  max(0.005 r, 0.0005) (rRelAcc, rAbsAcc), hence the relative tolerance 0.006 (see test_counting).
- ``ProfileLikelihood``: the old ``-M ProfileLikelihood`` upper limit, the upper end of the
  two-sided 95% profile-likelihood interval (2 Delta NLL = 3.84; RooStats'
  ProfileLikelihoodCalculator): its printed value has 1e-7 precision, our root's tolerance is
  1e-6, hence 1e-5 relative.
- ``Sig_ProfileLikelihood``: the significance sqrt(2 Delta NLL(r=0)), the same precisions.
"""

from __future__ import annotations

import json

import pytest

import likelihub as lh

COMBINE_SEARCH = 0.006
PROFILE = 1e-5
CARDS = ["hww4ch-1fb-B-mH140.txt", "hww4ch-1fb-B-mH160.txt", "hww4ch-1fb-B+1-mH160.txt",
         "hww4ch-1fb-B-1-mH140.txt"]
SIGNAL_CARDS = ["hww4ch-1fb-S-mH140.txt", "hww4ch-1fb-S-mH160.txt"]


def _references(shared_data, card: str) -> dict:
    folder = shared_data / "datacards" / "combine_docs" / "hww4ch_1fb_counting"
    entries = json.loads((folder / "references.json").read_text())["results"][card]
    references: dict = {}
    for entry in entries:
        key = entry["entry"].split()[-1] if entry["entry"] != card else "value"
        references.setdefault(entry["test"], {})[key] = entry["limit"]
    return folder / card, references


def _models(path):
    """The card's model, and the same with every nuisance frozen (Combine's ``-S 0``)."""
    model = lh.get_backend("combine.datacard")(path)
    nuisances = [name for name in model.config.parameter_names if name != "r"]
    return model, lh.get_backend("combine.datacard")(path, freeze=nuisances)


@pytest.mark.parametrize("card", CARDS)
def test_asymptotic_limits_with_and_without_systematics(shared_data, card):
    path, references = _references(shared_data, card)
    for model, test in zip(_models(path), ("HWW_Asymptotic", "HWW_S0_Asymptotic"), strict=True):
        reference = references[test]
        limit = model.upper_limit(cl=0.95, band="percentiles")
        assert limit.observed == pytest.approx(reference["Obs"], rel=COMBINE_SEARCH), test
        quantiles = [reference[key] for key in ("E025", "E159", "E500", "E839", "E975")]
        assert limit.expected == pytest.approx(quantiles, rel=COMBINE_SEARCH), test


@pytest.mark.parametrize("card", CARDS)
def test_profile_likelihood_limits(shared_data, card):
    path, references = _references(shared_data, card)
    for model, test in zip(_models(path), ("HWW_ProfileLikelihood", "HWW_S0_ProfileLikelihood"), strict=True):
        interval = model.profile_interval("r", cl=0.95)
        assert interval.high == pytest.approx(references[test]["value"], rel=PROFILE), test


@pytest.mark.parametrize("card", SIGNAL_CARDS)
def test_profile_likelihood_significance(shared_data, card):
    path, references = _references(shared_data, card)
    tests = ("HWW_Sig_ProfileLikelihood", "HWW_Sig_S0_ProfileLikelihood")
    for model, test in zip(_models(path), tests, strict=True):
        assert model.significance().z_obs == pytest.approx(references[test]["value"], rel=PROFILE), test
