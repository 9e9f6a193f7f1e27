"""``nuisance edit`` lines (likelihub_combine.edits, Combine's NuisanceModifier.py) and gmM lines,
by closed forms: an edited card has the likelihood of the card written out with the edit's
result (to 1e-12 relative: the same terms); gmM is Combine's Gamma constraint. gmM's limits
against Combine's are in test_counting.py (counting-B5p5-Obs6-Syst30B-gmM.txt).
"""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
from scipy.stats import gamma, poisson

import likelihub as lh
from likelihub.errors import InvalidModelError

SAME = 1e-12
HEAD = """imax 2
jmax 2
kmax *
bin a b
observation 9 14
bin a a a b b b
process sig bkg other sig bkg other
process 0 1 2 0 1 2
rate 2 5 1 3 8 2
"""
LINES = """lumi lnN 1.02 1.02 1.02 1.02 1.02 1.02
eff lnN 1.1 - - 0.9/1.2 - -
xs lnN - 1.3 - - 1.3 -
"""


def model(tmp_path, text, name="card.txt", **options):
    path = tmp_path / name
    path.write_text(text)
    return lh.get_backend("combine.datacard")(path, **options)


def assert_same_likelihood(edited, written):
    """Same parameters (by name) and the same log L at points inside the bounds."""
    names = edited.config.parameter_names
    assert sorted(names) == sorted(written.config.parameter_names)
    rng = np.random.default_rng(7)
    bounds = np.clip(np.array(written.config.bounds, dtype=float), -2.0, 3.0)
    for pars in rng.uniform(bounds[:, 0], bounds[:, 1], (5, len(bounds))):
        values = dict(zip(written.config.parameter_names, pars, strict=True))
        assert edited.logpdf([values[n] for n in names]) == pytest.approx(written.logpdf(pars), rel=SAME)


@pytest.mark.parametrize(("edit", "result"), [
    # drop: the matching entries become "-"
    ("nuisance edit drop * * eff", "lumi lnN 1.02 1.02 1.02 1.02 1.02 1.02\nxs lnN - 1.3 - - 1.3 -\n"),
    ("nuisance edit drop sig b e.f", LINES.replace("0.9/1.2", "-")),
    ("nuisance edit drop (sig|bkg) a lumi", LINES.replace("1.02 1.02 1.02 1.02", "- - 1.02 1.02")),
    # rename everywhere, or some entries into a new line of the same type
    ("nuisance edit rename xs xs_bkg", LINES.replace("xs lnN", "xs_bkg lnN")),
    ("nuisance edit rename * b lumi lumi_b",
     LINES.replace("lumi lnN 1.02 1.02 1.02 1.02 1.02 1.02", "lumi lnN 1.02 1.02 1.02 - - -\n"
                   "lumi_b lnN - - - 1.02 1.02 1.02")),
    # add a log-normal; addq: log kappas in quadrature; overwrite
    ("nuisance edit add other .* norm lnN 1.5", LINES + "norm lnN - - 1.5 - - 1.5\n"),
    ("nuisance edit add bkg a xs lnN 1.4 addq",
     LINES.replace("xs lnN - 1.3", f"xs lnN - {math.exp(math.hypot(math.log(1.3), math.log(1.4)))!r}")),
    ("nuisance edit add bkg a xs lnN 1.4 overwrite", LINES.replace("xs lnN - 1.3", "xs lnN - 1.4")),
    # changepdf, flip, merge, split
    ("nuisance edit changepdf xs lnU", LINES.replace("xs lnN", "xs lnU")),
    ("nuisance edit flip * * eff n2p", LINES.replace("0.9/1.2", f"{1 / 0.9!r}/{1 / 1.2!r}")),
    ("nuisance edit merge bkg * lumi xs",
     "lumi lnN 1.02 {0} 1.02 1.02 {0} 1.02\neff lnN 1.1 - - 0.9/1.2 - -\n".format(
         repr(math.exp(math.hypot(math.log(1.02), math.log(1.3)))))),
    ("nuisance edit split * * xs xs_a xs_b 1.2 1.1",
     "lumi lnN 1.02 1.02 1.02 1.02 1.02 1.02\neff lnN 1.1 - - 0.9/1.2 - -\n"
     "xs_a lnN - 1.2 - - 1.2 -\nxs_b lnN - 1.1 - - 1.1 -\n"),
])
def test_an_edited_card_is_the_card_written_out(tmp_path, edit, result):
    # Combine's NuisanceModifier.py: each edit's effect, written as plain lines.
    edited = model(tmp_path, HEAD + LINES + edit + "\n", "edited.txt")
    written = model(tmp_path, HEAD + result, "written.txt")
    assert_same_likelihood(edited, written)


def test_an_edit_acts_on_the_lines_above_it(tmp_path):
    # text2workspace.py applies an edit as it reads it: a line below is untouched.
    edited = model(tmp_path, HEAD + "nuisance edit drop * * lumi ifexists\n" + LINES, "edited.txt")
    assert "lumi" in edited.config.parameter_names


@pytest.mark.parametrize(("edit", "message"), [
    ("nuisance edit drop sig a nothing", "drop sig a nothing: found nothing"),
    ("nuisance edit rename nothing new", "no nuisance parameter named 'nothing'"),
    ("nuisance edit rename * zz lumi lumi_z", "no channel matches"),
    ("nuisance edit add bkg a xs lnN 1.4", "'xs' already acts on process 'bkg' in channel 'a'"),
    ("nuisance edit add bkg a xs shape 1", "adding a shape systematic is not supported"),
    ("nuisance edit changepdf xs shape", "cannot change 'xs' from lnN to shape"),
    ("nuisance edit drop sig (a b", "the channel '(a' is not a regular expression"),
    ("nuisance edit frobnicate * * lumi", "unknown action 'frobnicate'"),
    ("nuisance edit freeze nothing", "no parameter matches 'nothing'"),
])
def test_bad_edits_name_their_line(tmp_path, edit, message):
    with pytest.raises(InvalidModelError, match=rf"card\.txt:13'.*{re.escape(message)}"):
        model(tmp_path, HEAD + LINES + edit + "\n")


GMM = """imax 1
jmax 1
kmax 1
bin b
observation 6
bin b b
process S B
process 0 1
rate 1 5.5
unc gmM - 0.30
"""


def test_gmm_is_combines_gamma(tmp_path):
    # Combine (ModelTools.py): yield rate * n, n ~ Gamma(shape k = 1/u^2, scale u^2) with u = 0.3
    # (mean 1, sd u), n in [max(0.01, 1 - 5u), 1 + 5u] starting at 1. likelihub's parameter is
    # m = n / u^2: its log L is the Gamma's in n plus the constant log u^2 (the Jacobian).
    built = model(tmp_path, GMM)
    u, k = 0.3, 1 / 0.3**2
    theta = u * u
    assert built.config.parameter_names == ("r", "unc")
    assert built.config.init[1] * theta == pytest.approx(1.0, rel=SAME)
    np.testing.assert_allclose(np.array(built.config.bounds[1]) * theta, [0.01, 2.5], rtol=SAME)
    assert built.data[1] == pytest.approx(k - 1, rel=SAME)  # Combine's Asimov sets k = n / u^2 + 1
    for r, n in ((0.0, 1.0), (1.3, 0.7), (2.0, 1.8)):
        expected = poisson.logpmf(6, r + 5.5 * n) + gamma.logpdf(n, a=k, scale=theta) + math.log(theta)
        assert built.logpdf([r, n / theta]) == pytest.approx(expected, rel=SAME)


def test_gmm_lines_need_one_uncertainty(tmp_path):
    # Combine: "line contains two different uncertainties ... which is not supported for gmM"
    text = GMM.replace("process 0 1", "process 0 1").replace("unc gmM - 0.30", "unc gmM 0.2 0.30")
    with pytest.raises(InvalidModelError, match=r"card\.txt:10.*gmM: the line holds different uncertainties"):
        model(tmp_path, text)
