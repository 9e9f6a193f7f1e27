"""Reading a datacard's ROOT templates (``likelihub_combine.shapes``): Combine's shapes-rule
lookup and pattern substitution on the published cards, and clear errors on synthetic files."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from likelihub.errors import InvalidModelError

uproot = pytest.importorskip("uproot")

from likelihub_combine.parser import parse_datacard, read_datacard  # noqa: E402
from likelihub_combine.shapes import read_templates  # noqa: E402

DOCS = Path("datacards") / "combine_docs"
PART2 = DOCS / "longexercise_part2_shape" / "datacard_part2_shapes.txt"
PART3 = DOCS / "longexercise_part3_nocrs" / "datacard_part3_nocrs.txt"
HWW = DOCS / "summer11_hwws_130" / "comb_hww.txt"
SHAPE_SYSTEMATICS = ["CMS_eff_t_highpt", "CMS_scale_t_1prong0pi0_13TeV", "CMS_scale_t_1prong1pi0_13TeV",
                     "CMS_scale_t_3prong0pi0_13TeV", "top_pt_ttbar_shape"]


def six_significant_digits(rate: float) -> float:
    """Half a unit of the sixth significant digit: the rounding of the long-exercise cards'
    rate lines (e.g. ``683.017``, ``0.913183``)."""
    return 0.5 * 10 ** (math.floor(math.log10(abs(rate))) - 5)


# --- the published cards -------------------------------------------------------------------------


@pytest.mark.shared_data
@pytest.mark.parametrize("card_path, mass", [(PART2, "800"), (PART3, 200.0)])
def test_long_exercise_templates(shared_data, card_path, mass):
    card = read_datacard(shared_data / card_path)
    templates = read_templates(card, mass=mass)
    assert list(templates) == ["signal_region"]
    channel = templates["signal_region"]
    assert channel.channel == "signal_region"
    assert set(channel.nominal) == {"ttbar", "diboson", "Ztautau", "jetFakes", "bbHtautau"}
    # the rate line was written from the template integrals, rounded to six significant digits
    for column in card.columns:
        integral = channel.nominal[column.process].integral
        assert abs(integral - column.rate) <= six_significant_digits(column.rate), column.process
    # data_obs sums to the observation line (3416)
    assert channel.data.sum() == pytest.approx(card.observations["signal_region"], rel=1e-12)
    assert channel.data.sum() == pytest.approx(3416.0)
    assert len(channel.bin_edges) == 19 and channel.bin_edges[0] == 0 and channel.bin_edges[-1] == 3900
    for template in channel.nominal.values():
        assert template.values.dtype == np.float64 and template.values.shape == (18,)
        assert template.errors.shape == (18,) and np.all(template.errors >= 0)
    # the shape lines: four tau systematics on every process but jetFakes, top_pt on ttbar only
    expected = {(p, s) for p in ("ttbar", "diboson", "Ztautau", "bbHtautau") for s in SHAPE_SYSTEMATICS[:4]}
    expected.add(("ttbar", "top_pt_ttbar_shape"))
    assert set(channel.variations) == expected


@pytest.mark.shared_data
def test_mass_picks_the_signal_histogram_and_errors_are_sumw2(shared_data):
    """``$MASS`` selects ``bbHtautau800``; the errors are sqrt(fSumw2) of that very histogram, and
    a variation is the ``..._<systematic>Up``/``Down`` pair of the rule's fifth field."""
    card = read_datacard(shared_data / PART2)
    channel = read_templates(card, mass="800")["signal_region"]
    with uproot.open(shared_data / PART2.parent / "datacard_part2.shapes.root") as handle:
        signal = handle["signal_region/bbHtautau800"]
        np.testing.assert_array_equal(channel.nominal["bbHtautau"].values, signal.values())
        sumw2 = np.asarray(signal.member("fSumw2"))[1:-1]
        np.testing.assert_allclose(channel.nominal["bbHtautau"].errors, np.sqrt(sumw2), rtol=1e-15)
        up, down = channel.variations[("ttbar", "top_pt_ttbar_shape")]
        np.testing.assert_array_equal(up.values, handle["signal_region/ttbar_top_pt_ttbar_shapeUp"].values())
        np.testing.assert_array_equal(down.values,
                                      handle["signal_region/ttbar_top_pt_ttbar_shapeDown"].values())
    # the same card at mass 800 given as a number
    again = read_templates(card, mass=800.0)["signal_region"]
    np.testing.assert_array_equal(again.nominal["bbHtautau"].values, channel.nominal["bbHtautau"].values)


@pytest.mark.shared_data
def test_mass_is_required_by_a_mass_pattern(shared_data):
    card = read_datacard(shared_data / PART2)
    with pytest.raises(InvalidModelError, match=r"\$MASS") as caught:
        read_templates(card)
    assert caught.value.location["file"] == f"{shared_data / PART2}:6"  # the bbHtautau shapes line
    assert caught.value.location["sample"] == "bbHtautau"


@pytest.mark.shared_data
def test_hww_combination_with_a_fake_channel(shared_data):
    card = read_datacard(shared_data / HWW)
    assert len(card.channels) == 5
    templates = read_templates(card)
    # hww_2j_cut has 'shapes * hww_2j_cut FAKE': a counting channel, absent here
    assert list(templates) == ["hww_0jsf_shape", "hww_0jof_shape", "hww_1jsf_shape", "hww_1jof_shape"]
    for name, channel in templates.items():
        # data_obs is histo_Data (its own rule); it sums to the observation line
        assert channel.data.sum() == card.observations[name]
        assert len(channel.bin_edges) == 21
        assert channel.variations == {}  # the card has no shape systematics
        columns = [c for c in card.columns if c.channel == name]
        assert set(channel.nominal) == {c.process for c in columns}
        for column in columns:
            # Combine's own cross-check of rate line and template (ShapeTools.prepareAllShapes:
            # |integral - rate| <= 1% of max(1, rate)); this card's rates agree to about 1e-3
            integral = channel.nominal[column.process].integral
            assert abs(integral - column.rate) <= 0.01 * max(1.0, column.rate)
            assert abs(integral - column.rate) < 1.1e-3
    assert templates["hww_0jsf_shape"].data.sum() == 145.0  # observation line of hww_0jsf_shape


@pytest.mark.shared_data
@pytest.mark.parametrize("card_path", [
    DOCS / "hww4ch_1fb_counting" / "hww4ch-1fb-B-mH140.txt",
    DOCS / "stat_routines_counting" / "datacard.txt",
])
def test_counting_cards_have_no_templates(shared_data, card_path):
    assert read_templates(read_datacard(shared_data / card_path)) == {}


# --- synthetic cards and ROOT files --------------------------------------------------------------

EDGES = np.array([0.0, 1.0, 2.0, 3.0])


def card_text(shapes: str, systematics: str = "", observation: str = "15") -> str:
    return f"""imax 1
jmax 1
kmax *
{shapes}
bin ch
observation {observation}
bin ch ch
process sig bkg
process 0 1
rate -1 -1
{systematics}
"""


def write_root(path: Path, histograms: dict) -> None:
    with uproot.recreate(path) as handle:
        for name, histogram in histograms.items():
            handle[name] = histogram


def standard(**extra) -> dict:
    histograms = {
        "data_obs": (np.array([4.0, 5.0, 6.0]), EDGES),
        "sig": (np.array([1.0, 2.0, 1.0]), EDGES),
        "bkg": (np.array([4.0, 4.0, 4.0]), EDGES),
        "bkg_jesUp": (np.array([5.0, 4.0, 3.0]), EDGES),
        "bkg_jesDown": (np.array([3.0, 4.0, 5.0]), EDGES),
    }
    histograms.update(extra)
    return histograms


def parse(tmp_path: Path, text: str):
    return parse_datacard(text, path=str(tmp_path / "card.txt"))


RULE = "shapes * ch shapes.root $PROCESS $PROCESS_$SYSTEMATIC"


def test_synthetic_card_reads_and_substitutes(tmp_path):
    write_root(tmp_path / "shapes.root", standard())
    card = parse(tmp_path, card_text(RULE, "jes shape - 1"))
    channel = read_templates(card)["ch"]
    np.testing.assert_array_equal(channel.data, [4.0, 5.0, 6.0])
    np.testing.assert_array_equal(channel.nominal["sig"].values, [1.0, 2.0, 1.0])
    # a histogram written without sumw2: TH1::GetBinError = sqrt(|content|)
    np.testing.assert_array_equal(channel.nominal["bkg"].errors, [2.0, 2.0, 2.0])
    up, down = channel.variations[("bkg", "jes")]
    np.testing.assert_array_equal(up.values, [5.0, 4.0, 3.0])
    np.testing.assert_array_equal(down.values, [3.0, 4.0, 5.0])
    np.testing.assert_array_equal(channel.bin_edges, EDGES)


def test_rule_precedence_directories_and_channel_substitution(tmp_path):
    write_root(tmp_path / "a.root", {"ch/data": (np.array([7.0, 8.0, 0.0]), EDGES),
                                     "ch/bkg": (np.array([1.0, 1.0, 1.0]), EDGES)})
    write_root(tmp_path / "sig_file.root", {"signal": (np.array([0.5, 0.5, 0.5]), EDGES)})
    shapes = "\n".join(["shapes * * a.root $CHANNEL/$PROCESS",          # last resort
                        "shapes data_obs ch a.root $CHANNEL/data",      # channel + process wins
                        "shapes sig * $PROCESS_file.root signal"])      # * channel + process
    card = parse(tmp_path, card_text(shapes))
    channel = read_templates(card)["ch"]
    np.testing.assert_array_equal(channel.data, [7.0, 8.0, 0.0])
    np.testing.assert_array_equal(channel.nominal["sig"].values, [0.5, 0.5, 0.5])
    np.testing.assert_array_equal(channel.nominal["bkg"].values, [1.0, 1.0, 1.0])


def test_base_dir_and_negative_content_errors(tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    write_root(elsewhere / "shapes.root", standard(bkg=(np.array([4.0, -1.0, 9.0]), EDGES)))
    card = parse(tmp_path, card_text("shapes * ch shapes.root $PROCESS"))
    with pytest.raises(InvalidModelError, match="not found"):
        read_templates(card)
    channel = read_templates(card, base_dir=elsewhere)["ch"]
    np.testing.assert_array_equal(channel.nominal["bkg"].values, [4.0, -1.0, 9.0])
    np.testing.assert_array_equal(channel.nominal["bkg"].errors, [2.0, 1.0, 3.0])


def test_missing_file(tmp_path):
    card = parse(tmp_path, card_text(RULE))
    with pytest.raises(InvalidModelError, match="shapes.root") as caught:
        read_templates(card)
    assert caught.value.location["file"] == f"{tmp_path / 'card.txt'}:4"
    assert caught.value.location["channel"] == "ch"


def test_missing_histogram(tmp_path):
    histograms = standard()
    del histograms["sig"]
    write_root(tmp_path / "shapes.root", histograms)
    with pytest.raises(InvalidModelError, match="'sig'.*not found") as caught:
        read_templates(parse(tmp_path, card_text(RULE)))
    assert caught.value.location == {"file": f"{tmp_path / 'card.txt'}:4", "channel": "ch", "sample": "sig"}


@pytest.mark.parametrize(("line", "what"), [("shapes * chX shapes.root $PROCESS", "channel 'chX'"),
                                           ("shapes bgk ch shapes.root $PROCESS", "process 'bgk'")])
def test_a_shapes_line_matching_nothing_is_an_error(tmp_path, line, what):
    # A typo'd channel or process: Combine would ignore the line and use the '*' rule instead.
    write_root(tmp_path / "shapes.root", standard())
    card = parse(tmp_path, card_text(f"{RULE}\n{line}"))
    with pytest.raises(InvalidModelError, match=f"names {what}.*matches nothing") as caught:
        read_templates(card)
    assert caught.value.location["file"] == f"{tmp_path / 'card.txt'}:5"


def test_channel_with_a_process_without_rule(tmp_path):
    write_root(tmp_path / "shapes.root", standard())
    shapes = "shapes data_obs ch shapes.root data_obs\nshapes bkg ch shapes.root bkg"
    with pytest.raises(InvalidModelError, match="'sig' has no shapes rule") as caught:
        read_templates(parse(tmp_path, card_text(shapes)))
    assert caught.value.location["channel"] == "ch" and caught.value.location["sample"] == "sig"


@pytest.mark.parametrize("kind", ["shape", "shapeN2"])
def test_missing_systematic_histogram_is_an_error_for_shape(tmp_path, kind):
    histograms = standard()
    del histograms["bkg_jesDown"]
    write_root(tmp_path / "shapes.root", histograms)
    with pytest.raises(InvalidModelError, match="bkg_jesDown") as caught:
        read_templates(parse(tmp_path, card_text(RULE, f"jes {kind} - 1")))
    assert caught.value.location["modifier"] == "jes" and caught.value.location["sample"] == "bkg"


def test_shape_without_a_systematic_pattern_is_an_error(tmp_path):
    write_root(tmp_path / "shapes.root", standard())
    with pytest.raises(InvalidModelError, match="no systematic pattern") as caught:
        read_templates(parse(tmp_path, card_text("shapes * ch shapes.root $PROCESS", "jes shape - 1")))
    assert caught.value.location["modifier"] == "jes"


def test_shape_question_mark_without_histograms_is_left_out(tmp_path):
    write_root(tmp_path / "shapes.root", standard())
    # jes has histograms for bkg; lumi has none (Combine treats it as lnN); sig has no jes histograms
    card = parse(tmp_path, card_text(RULE, "jes shape? 1 1\nlumi shape? 1.1 1.1"))
    channel = read_templates(card)["ch"]
    assert set(channel.variations) == {("bkg", "jes")}
    # and without a systematic pattern at all
    card = parse(tmp_path, card_text("shapes * ch shapes.root $PROCESS", "jes shape? 1 1"))
    assert read_templates(card)["ch"].variations == {}


def test_shape_question_mark_with_up_but_no_down_is_an_error(tmp_path):
    histograms = standard()
    del histograms["bkg_jesDown"]
    write_root(tmp_path / "shapes.root", histograms)
    with pytest.raises(InvalidModelError, match="bkg_jesDown"):
        read_templates(parse(tmp_path, card_text(RULE, "jes shape? - 1")))


def test_mass_pattern_without_mass(tmp_path):
    write_root(tmp_path / "shapes.root", standard(sig125=(np.array([1.0, 2.0, 1.0]), EDGES)))
    shapes = RULE + "\nshapes sig ch shapes.root $PROCESS$MASS"
    card = parse(tmp_path, card_text(shapes))
    with pytest.raises(InvalidModelError, match=r"\$MASS") as caught:
        read_templates(card)
    assert caught.value.location["file"] == f"{tmp_path / 'card.txt'}:5"
    assert read_templates(card, mass="125")["ch"].nominal["sig"].integral == 4.0
    assert read_templates(card, mass=125.0)["ch"].nominal["sig"].integral == 4.0


def test_different_binnings(tmp_path):
    write_root(tmp_path / "shapes.root", standard(bkg=(np.array([4.0, 4.0]), np.array([0.0, 1.0, 3.0]))))
    with pytest.raises(InvalidModelError, match="different binnings") as caught:
        read_templates(parse(tmp_path, card_text(RULE)))
    assert caught.value.location["sample"] == "bkg"
    write_root(tmp_path / "shapes.root", standard(bkg_jesUp=(np.array([5.0, 4.0, 3.0]),
                                                             np.array([0.0, 1.0, 2.5, 3.0]))))
    with pytest.raises(InvalidModelError, match="different bin edges") as caught:
        read_templates(parse(tmp_path, card_text(RULE, "jes shape - 1")))
    assert caught.value.location["modifier"] == "jes"


def test_not_a_th1_and_non_finite(tmp_path):
    write_root(tmp_path / "shapes.root", standard(sig=np.histogram2d([0.5, 1.5], [0.5, 1.5], bins=2)))
    with pytest.raises(InvalidModelError, match="TH2.*not a one-dimensional"):
        read_templates(parse(tmp_path, card_text(RULE)))
    write_root(tmp_path / "shapes.root", standard(sig=(np.array([1.0, np.nan, 1.0]), EDGES)))
    with pytest.raises(InvalidModelError, match="non-finite .* bin 2") as caught:
        read_templates(parse(tmp_path, card_text(RULE)))
    assert caught.value.location["sample"] == "sig"


def test_observation_must_match_data_obs(tmp_path):
    write_root(tmp_path / "shapes.root", standard())
    with pytest.raises(InvalidModelError, match="observation of channel 'ch'") as caught:
        read_templates(parse(tmp_path, card_text(RULE, observation="20")))
    assert caught.value.location["channel"] == "ch"
    # observation -1: taken from data_obs, no check
    assert read_templates(parse(tmp_path, card_text(RULE, observation="-1")))["ch"].data.sum() == 15


def test_fake_and_rate_zero(tmp_path):
    write_root(tmp_path / "shapes.root", standard())
    assert read_templates(parse(tmp_path, card_text("shapes * * FAKE"))) == {}
    # a column of rate 0 is dropped (Combine reads no template for it): no sig histogram needed
    histograms = standard()
    del histograms["sig"]
    write_root(tmp_path / "shapes.root", histograms)
    text = card_text(RULE).replace("rate -1 -1", "rate 0 -1")
    assert set(read_templates(parse(tmp_path, text))["ch"].nominal) == {"bkg"}
