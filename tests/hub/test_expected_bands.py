"""The two expected bands: -2..+2 sigma (pyhf) and 2.5..97.5% (CMS Combine's AsymptoticLimits)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import ndtri

import likelihub as lh
from likelihub.errors import InvalidArgumentError
from likelihub.infer.asymptotic import expected_cls_band
from likelihub.results import BANDS

from .counting import CountingBackend


@pytest.mark.parametrize("band", ["sigma", "percentiles"])
def test_band_crossings_solve_combines_equation(band):
    # Combine's findExpectedLimitFromCrossing (CCGV eq. 88): the quantile p's expected limit has
    # sqrt(q_A) = N + Phi^-1(1 - alpha p), N = Phi^-1(p); there expected CLs = alpha exactly.
    alpha = 0.05
    for column, p in enumerate(BANDS[band]):
        sqrt_qa = ndtri(p) + ndtri(1 - alpha * p)
        assert expected_cls_band(sqrt_qa, band)[column] == pytest.approx(alpha, rel=1e-12)


def test_percentile_limits_bracket_the_sigma_ones():
    # 2.5% > Phi(-2) = 2.28% and 16% > Phi(-1) = 15.87%: each lower percentile limit lies above
    # the sigma one, each upper below it; the medians are the same quantile (1e-6: the roots).
    model = lh.StatisticalModel(CountingBackend(8.0, 3.0, 7.0, delta=0.1))
    sigma = model.upper_limit(band="sigma")
    percentiles = model.upper_limit(band="percentiles")
    assert percentiles.band == "percentiles" and sigma.band == "sigma"
    assert percentiles.observed == pytest.approx(sigma.observed, rel=1e-6)
    assert percentiles.expected[2] == pytest.approx(sigma.expected[2], rel=1e-6)
    assert percentiles.expected[0] > sigma.expected[0] and percentiles.expected[1] > sigma.expected[1]
    assert percentiles.expected[3] < sigma.expected[3] and percentiles.expected[4] < sigma.expected[4]
    assert "2.5..97.5%" in str(percentiles)
    # the expected CLs at each percentile limit is 1 - cl
    for column, mu in enumerate(percentiles.expected):
        assert model.cls(mu, band="percentiles").cls_exp[column] == pytest.approx(0.05, abs=1e-6)


def test_chi2_and_toys_take_the_band():
    model = lh.StatisticalModel(CountingBackend(8.0, 3.0, 7.0, delta=0.1))
    chi2 = model.cls(1.0, calculator="chi2", band="percentiles")
    assert chi2.band == "percentiles" and len(chi2.cls_exp) == 5
    toys = model.cls(1.0, calculator="toys", ntoys=200, rng=np.random.default_rng(1), band="percentiles")
    assert toys.band == "percentiles" and np.all(np.diff(toys.cls_exp) >= 0)
    with pytest.raises(InvalidArgumentError, match="band"):
        model.cls(1.0, band="quartiles")
