"""Physics models and Combine's options on parameters (likelihub_combine.physics_model,
likelihub_combine.parameter_options): the multi-signal model's maps on Combine's two-signal
benchmark card (../shared/data/datacards/combine_benchmarks/twoSignals-3bin-bigBSyst.txt: signals
S and S_ALT in three bins), checked against the default model and closed forms; --setParameters,
--setParameterRanges, --redefineSignalPOIs, --freezeParameters, --floatParameters and
--freezeNuisanceGroups on the model's configuration; bad input.

Equalities of -log L are to 1e-12 relative: the same terms, summed in another order at most.
"""

from __future__ import annotations

import numpy as np
import pytest

import likelihub as lh
from likelihub.errors import InvalidArgumentError, InvalidModelError

SAME = 1e-12
CARD = "twoSignals-3bin-bigBSyst.txt"
# The benchmark card without S_ALT (its columns removed).
WITHOUT_ALT = """imax *
jmax *
kmax *
bin           Def   Alt     Ctrl
observation   8     5       100
bin       Def    Def    Alt   Alt   Ctrl   Ctrl
process   S      B      S     B     S      B
process   0      1      0     1     0      1
rate      5.     4.     1.    4.    0.01   100.
dS  lnN   1.01   -      1.01  -     1.01   -
dB  lnN   -      2.0    -     2.0   -      2.0
"""


@pytest.fixture(scope="module")
def card(shared_data):
    return shared_data / "datacards" / "combine_benchmarks" / CARD


def model(card, **options):
    return lh.get_backend("combine.datacard")(card, **options)


def points(config, n=5, seed=3):
    """Parameter points inside the bounds (POIs in [0, 3])."""
    rng = np.random.default_rng(seed)
    low = np.maximum(np.array(config.bounds)[:, 0], -1.0)
    high = np.minimum(np.array(config.bounds)[:, 1], 3.0)
    return rng.uniform(low, high, (n, len(low)))


def test_both_signals_mapped_to_r_is_the_default_model(card):
    # Combine's docs (physicsmodels.md): map=.*/ggH:r[1,0,10] and map=.*/qqH:r "is what the
    # default physics model does for all signals".
    default = model(card)
    mapped = model(card, physics_options=["map=.*/S$:r[1,0,20]", "map=.*/S_ALT:r"])
    assert mapped.config.parameter_names == default.config.parameter_names == ("r", "dS", "dB")
    for pars in points(default.config):
        assert mapped.logpdf(pars) == pytest.approx(default.logpdf(pars), rel=SAME)


def test_two_pois_with_one_fixed_at_zero_is_the_card_without_that_signal(card, tmp_path):
    # map S -> r1, S_ALT -> r2; r2 frozen at 0: the likelihood of the card without S_ALT.
    options = ["map=.*/S:r1[1,0,20]", "map=.*/S_ALT:r2[1,0,20]"]
    two = model(card, physics_options=options, set_parameters={"r2": 0.0}, freeze=["r2"])
    assert two.config.parameter_names == ("r1", "r2", "dS", "dB")
    assert two.config.poi_name == "r1" and two.config.fixed.tolist() == [False, True, False, False]
    path = tmp_path / "without_alt.txt"
    path.write_text(WITHOUT_ALT)
    one = model(path)
    for pars in points(one.config):
        assert two.logpdf([pars[0], 0.0, *pars[1:]]) == pytest.approx(one.logpdf(pars), rel=SAME)
    assert two.fit().nll == pytest.approx(one.fit().nll, rel=1e-9)


def test_the_physics_models_pois_and_with_poi(card, tmp_path):
    # Every POI of the map model is a POI (config.pois); testing r1 with r2 held at 0 through
    # with_poi is the card without S_ALT (the test above) and Combine's own route
    # (--redefineSignalPOIs r1 --setParameters r2=0 --freezeParameters r2): the same numbers (1e-9:
    # the same fits; limits are roots to 1e-6, found the same way).
    options = ["map=.*/S:r1[1,0,20]", "map=.*/S_ALT:r2[1,0,20]"]
    two = model(card, physics_options=options, pois=["r2", "r1"])
    assert two.pois == ("r2", "r1") and two.config.poi_name == "r2"
    view = two.with_poi("r1", fixed={"r2": 0.0})
    combine_route = model(card, physics_options=options, pois=["r1"], set_parameters={"r2": 0.0},
                          freeze=["r2"])
    path = tmp_path / "without_alt.txt"
    path.write_text(WITHOUT_ALT)
    for other in (combine_route, model(path)):
        assert view.upper_limit().observed == pytest.approx(other.upper_limit().observed, rel=1e-9)
        np.testing.assert_allclose(view.cls(1.0).cls_exp, other.cls(1.0).cls_exp, rtol=1e-9)


def test_maps_apply_in_order_and_unmatched_processes_are_not_scaled(card):
    # Combine's rules: re.match on "bin/process" (so .*/S matches S_ALT too), the last matching
    # map wins, a process no map matches is scaled by 1 (signals too), 0 drops the process.
    yields = {"Def": (5.0, 1.0, 4.0), "Alt": (1.0, 4.0, 4.0), "Ctrl": (0.01, 0.01, 100.0)}
    last_wins = model(card, physics_options=["map=.*/S:a[1,0,20]", "map=.*/S_ALT:b[1,0,20]"])
    only_s = model(card, physics_options=["map=.*/S$:a[1,0,20]"])
    dropped = model(card, physics_options=["map=.*/S$:a[1,0,20]", "map=Def/S_ALT:0"])
    turned_off = model(card, physics_options=["map=.*/S$:a[1,0,20]", "turnoff=S_ALT"])
    a, b = 2.0, 3.0
    bins = [last_wins.expected_data([a, b, 0.0, 0.0])[:3], only_s.expected_data([a, 0.0, 0.0])[:3],
            dropped.expected_data([a, 0.0, 0.0])[:3], turned_off.expected_data([a, 0.0, 0.0])[:3]]
    s, alt, bkg = (np.array(x) for x in zip(*yields.values(), strict=True))
    np.testing.assert_allclose(bins[0], a * s + b * alt + bkg, rtol=SAME)
    np.testing.assert_allclose(bins[1], a * s + alt + bkg, rtol=SAME)
    np.testing.assert_allclose(bins[2], a * s + alt * [0, 1, 1] + bkg, rtol=SAME)
    np.testing.assert_allclose(bins[3], a * s + bkg, rtol=SAME)  # turnoff=S_ALT: map=.*/(S_ALT):0


def test_redefining_the_poi(card):
    # --redefineSignalPOIs r2: the tested POI; r1 floats as an ordinary parameter. Promoting a
    # nuisance drops its constraint (Combine's ignoreConstraint): dB's term leaves -log L.
    options = ["map=.*/S$:r1[1,0,20]", "map=.*/S_ALT:r2[1,-5,5]"]
    second = model(card, physics_options=options, pois=["r2"])
    assert second.config.poi_name == "r2" and not any(second.config.fixed)
    assert second.config.bounds[1].tolist() == [-5.0, 5.0]
    plain, promoted = model(card), model(card, pois="dB")
    assert promoted.config.poi_name == "dB"
    pars = np.array([1.0, 0.2, 0.7])
    gaussian = -0.5 * 0.7**2 - 0.5 * np.log(2 * np.pi)  # dB's constraint term
    assert promoted.logpdf(pars) == pytest.approx(plain.logpdf(pars) - gaussian, rel=SAME)


def test_parameter_options_set_the_configuration(card, tmp_path):
    # --rMin/--rMax, --setParameterRanges, --setParameters, then floating < freezing < groups.
    path = tmp_path / "grouped.txt"
    path.write_text(card.read_text() + "theory group = dS\nall group = dS\nall group += dB\n"
                    "nuisance edit freeze dB\n")
    built = model(path, r_range=(-1, 4), parameter_ranges={"rgx{d.*}": (-3, 3)}, set_parameters={"dS": 0.5})
    config = built.config
    assert config.bounds.tolist() == [[-1, 4], [-3, 3], [-3, 3]]
    assert config.init.tolist() == [1.0, 0.5, 0.0]
    assert config.fixed.tolist() == [False, False, True]  # the card's nuisance edit freeze
    assert built.backend.groups == {"theory": ("dS",), "all": ("dS", "dB")}
    assert model(path, float_parameters=["dB"]).config.fixed.tolist() == [False, False, False]
    assert model(path, float_parameters="all", freeze="rgx{.S}").config.fixed.tolist() == [False, True, False]
    assert model(path, freeze=["allConstrainedNuisances"]).config.fixed.tolist() == [False, True, True]
    assert model(path, float_parameters="dB", freeze_groups=["theory"]).config.fixed.tolist() == [
        False, True, False]
    assert model(path, float_parameters="dB", freeze_groups="^theory").config.fixed.tolist() == [
        False, False, True]
    assert model(path, freeze="var{r}").config.fixed.tolist() == [True, False, True]


@pytest.mark.parametrize(("options", "error", "message"), [
    ({"physics_options": ["map=.*/ggH:r_ggH[1,0,10]"]}, InvalidArgumentError,
     r"physics_options.*'map=\.\*/ggH:r_ggH\[1,0,10\]': the pattern '\.\*/ggH' matches no bin/process"),
    ({"physics_options": ["map=.*/S:r_S"]}, InvalidArgumentError, "used before it is defined"),
    ({"physics_options": ["map=.*/S:r_S[1,2,0]"]}, InvalidArgumentError, r"needs \[init,min,max\]"),
    ({"physics_options": ["map=.*/S:r_S[1,0,2]", "map=.*/S_ALT:r_S[1,0,5]"]}, InvalidArgumentError,
     "was given another range"),
    ({"physics_options": ["map=.*/S:dS[1,0,2]"]}, InvalidArgumentError, "name of a parameter of the card"),
    ({"physics_options": ["map=.*/S:x=expr::x('@0',r)"]}, InvalidArgumentError, "expression POIs"),
    ({"physics_options": ["higgsMassRange=120,130"]}, InvalidArgumentError, "unknown physics option"),
    ({"physics_options": ["map=.*/S:0", "map=.*/B:1"]}, InvalidArgumentError, "define no POI"),
    ({"physics_options": ["map=.*/S$:r[1,0,2]", "map=.*/S$:1"]}, InvalidArgumentError, "r scales no process"),
    ({"pois": ["r_ggH"]}, InvalidArgumentError, r"pois.*no parameter 'r_ggH'"),
    ({"freeze": ["lumi"]}, InvalidArgumentError, r"freeze.*no parameter 'lumi'"),
    ({"freeze": ["rgx{lumi.*}"]}, InvalidArgumentError, r"freeze.*'rgx\{lumi\.\*\}' matches no parameter"),
    ({"freeze_groups": ["theory"]}, InvalidArgumentError, r"freeze_groups.*no group 'theory'"),
    ({"set_parameters": {"r": 30.0}}, InvalidArgumentError, r"set_parameters.*r = 30.0 lies outside"),
    ({"parameter_ranges": {"dS": (2, 1)}}, InvalidArgumentError, r"parameter_ranges.*not increasing"),
    ({"r_range": (2, 5)}, InvalidArgumentError, "must be increasing and hold 0 or 1"),
])
def test_bad_options_name_the_argument(card, options, error, message):
    with pytest.raises(error, match=message):
        model(card, **options)


def test_groups_naming_unknown_parameters_name_their_line(card, tmp_path):
    for extra, message in (("theory group = dX\n", r"grouped\.txt:\d+.*the group names \['dX'\]"),
                           ("theory group += dS\n", r"grouped\.txt:\d+.*'\+=' on a group not defined"),
                           ("g group = dS\ng group = dB\n", "defined twice")):
        path = tmp_path / "grouped.txt"
        path.write_text(card.read_text() + extra)
        with pytest.raises(InvalidModelError, match=message):
            model(path)
