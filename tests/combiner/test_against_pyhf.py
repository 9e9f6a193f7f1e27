"""The combination of the two counting components against pyhf on the same two-channel workspace.

Reference numbers: pyhf 0.7.6 (numpy backend, default scipy optimiser), produced by
``make_pyhf_reference.py`` in this folder, which writes the components of combiner_counting.py
as one pyhf workspace (shared normfactor mu, one histosys per bin): the same likelihood.
"""

from __future__ import annotations

import pytest

import likelihub as lh

from .combiner_counting import atlas_like, cms_like

PYHF = {
    "mu_hat": 0.27821921601095173,
    "twice_nll": 31.621971848196377,
    "cls_obs_mu1": 0.1334654019303218,
    "cls_exp_mu1": [0.0029043910781895153, 0.0150210350190444, 0.06839190513910076,
                    0.24415689284380554, 0.5837557167596896],
    "limit_obs": 1.2908366424086135,
    "limit_exp": [0.5564704422275407, 0.7600030516369289, 1.0823695348577416,
                  1.5597181223990833, 2.1784017099751836],
}


@pytest.fixture(scope="module")
def combined():
    return lh.combine(atlas_like(), cms_like(), names=["atlas", "cms"])


def test_best_fit(combined):
    best = combined.fit()
    # pyhf's SLSQP stops at its own tolerance: -2 log L agrees to 1e-6, mu-hat to 1e-3 (flat minimum)
    assert best.twice_nll == pytest.approx(PYHF["twice_nll"], abs=1e-6)
    assert best["mu"] == pytest.approx(PYHF["mu_hat"], abs=1e-3)


def test_cls_at_mu_1(combined):
    result = combined.cls(1.0)
    # pyhf's fits (SLSQP) are good to ~1e-6 in -log L: CLs to 1e-4 relative
    assert result.cls_obs == pytest.approx(PYHF["cls_obs_mu1"], rel=1e-4)
    assert result.cls_exp == pytest.approx(PYHF["cls_exp_mu1"], rel=1e-4)


def test_upper_limit(combined):
    limit = combined.upper_limit()
    # both TOMS 748 to rtol 1e-6 on CLs curves that agree to 1e-4: limits to 1e-4 relative
    assert limit.observed == pytest.approx(PYHF["limit_obs"], rel=1e-4)
    assert limit.expected == pytest.approx(PYHF["limit_exp"], rel=1e-4)
