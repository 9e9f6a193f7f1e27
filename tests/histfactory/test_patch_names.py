"""Label values from the names of patch files (likelihub_histfactory.patch_names), and the scan of
patch files that uses them.

The origins: the pallets' READMEs (sbottom: ``patch.sbottom_msb_mn2_mn1.json``; staus:
``patch.DS_mst_mn2_Staus.json``), and the published patchsets whose patches carry both a name and
label values (1Lbb ``C1N2_Wh_hbb_1000_0`` = (1000, 0); 3L ``ERJR_350p0_0p0`` = (350.0, 0.0)):
the rule must give those values from those names.
"""

from __future__ import annotations

import json
import shutil
import tarfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from likelihub.cli.scan import scan_command
from likelihub.errors import InvalidArgumentError
from likelihub_histfactory.patch_names import labelled_values, name_values
from likelihub_histfactory.scan import scan

DATA = Path(__file__).parent / "data"
BACKGROUND = DATA / "two_bin_background.json"
PATCH = DATA / "two_bin_signal_patch.json"


@pytest.mark.parametrize("name, values", [
    ("sbottom_1300_205_60", (1300, 205, 60)),
    ("DS_400_40_Staus", (400, 40)),
    ("ERJR_350p0_0p0", (350.0, 0.0)),
    ("C1N2_Wh_hbb_1000_0", (1000, 0)),
    ("signal_12.5_3", (12.5, 3)),
    ("signal", ()),
    ("2HDM_a_300", (300,)),      # a part that is not all digits is not a number
    ("m300_p5", ()),             # nor are letters before digits, or a 'p' alone
])
def test_numbers_in_names(name, values):
    parsed = name_values(name)
    assert parsed == values
    assert [type(v) for v in parsed] == [type(v) for v in values]  # digits alone give integers


def test_names_give_labels_only_where_all_agree():
    assert labelled_values(["s_1_2", "s_3_4"]) == ([(1, 2), (3, 4)], ["m1", "m2"])
    # a name without numbers, or with another count: no labels at all (not an error)
    assert labelled_values(["s_1_2", "s_3"]) == ([(), ()], [])
    assert labelled_values(["s_1_2", "other"]) == ([(), ()], [])
    # names the user gives must fit every name: otherwise an error that names the point
    assert labelled_values(["s_1_2"], ["mst", "mn2"]) == ([(1, 2)], ["mst", "mn2"])
    with pytest.raises(InvalidArgumentError, match=r"patch_labels.*'s_3' holds 1 \(3\)"):
        labelled_values(["s_1_2", "s_3"], ["mst", "mn2"])
    with pytest.raises(InvalidArgumentError, match="distinct non-empty names"):
        labelled_values(["s_1_2"], ["m", "m"])


def _members(archive: Path, prefix: str) -> list[str]:
    with tarfile.open(archive) as tar:
        return [Path(m).name.removesuffix(".json").removeprefix("patch.") for m in tar.getnames()
                if Path(m).name.startswith(prefix)]


@pytest.mark.shared_data
def test_the_published_patch_file_names(shared_data):
    pallets = shared_data / "histfactory"
    # sbottom: patch.sbottom_msb_mn2_mn1.json (the pallet's README); 650 files in three regions
    sbottom = _members(pallets / "atlas-susy-2018-31-sbottom.tar.gz", "patch.sbottom_")
    values, labels = labelled_values(sbottom)
    assert len(sbottom) == 650 and labels == ["m1", "m2", "m3"]
    assert values[sbottom.index("sbottom_1300_205_60")] == (1300, 205, 60)
    assert all(msb > mn2 > mn1 for msb, mn2, mn1 in values)  # the decay chain's mass ordering
    # staus: patch.DS_mst_mn2_Staus.json, with the user's names
    staus = _members(pallets / "atlas-susy-2018-04-staus.tar.gz", "patch.DS_")
    values, labels = labelled_values(staus, ["mst", "mn2"])
    assert labels == ["mst", "mn2"] and values[staus.index("DS_400_40_Staus")] == (400, 40)
    assert all(mst > mn2 for mst, mn2 in values)


@pytest.mark.shared_data
@pytest.mark.parametrize("archive", ["atlas-susy-2019-08-1Lbb.tar.gz", "atlas-susy-2018-06-3L-eRJR.tar.gz"])
def test_names_of_published_patchsets_give_their_label_values(shared_data, archive):
    with tarfile.open(shared_data / "histfactory" / archive) as tar:
        patchset = json.load(tar.extractfile("patchset.json"))
    patches = patchset["patches"]
    values, labels = labelled_values([p["metadata"]["name"] for p in patches])
    assert len(labels) == len(patchset["metadata"]["labels"])
    assert values == [tuple(p["metadata"]["values"]) for p in patches]


@pytest.fixture
def patch_folder(tmp_path):
    for name in ("sig_300_10", "sig_500_10", "sig_700_20p5"):
        shutil.copy(PATCH, tmp_path / f"patch.{name}.json")
    return tmp_path


def test_a_scan_of_patch_files_has_the_labels_of_their_names(patch_folder):
    table = scan(str(BACKGROUND), str(patch_folder / "patch.*.json"), executor="serial")
    assert table.labels == ["m1", "m2"]
    assert [(r["name"], r["values"]) for r in table.rows] == [
        ("sig_300_10", [300, 10]), ("sig_500_10", [500, 10]), ("sig_700_20p5", [700, 20.5])]
    # the same patch at every point: the same CLs (the labels change nothing else)
    assert len({r["cls_obs"] for r in table.rows}) == 1
    named = scan(str(BACKGROUND), str(patch_folder), executor="serial", patch_labels=["mst", "mn1"])
    assert named.labels == ["mst", "mn1"] and named.to_csv().startswith("name,mst,mn1,cls_obs")


def test_unparseable_names_give_no_labels_unless_asked_for(patch_folder):
    shutil.copy(PATCH, patch_folder / "patch.extra.json")
    table = scan(str(BACKGROUND), str(patch_folder), executor="serial")
    assert table.labels == [] and all(r["values"] == [] for r in table.rows)
    with pytest.raises(InvalidArgumentError, match="'extra' holds 0"):
        scan(str(BACKGROUND), str(patch_folder), executor="serial", patch_labels=["mst", "mn1"])


def test_the_command_line_names_the_numbers(patch_folder):
    output = patch_folder / "rows.csv"
    result = CliRunner().invoke(scan_command, [str(BACKGROUND), "--patchset", str(patch_folder),
                                               "--patch-labels", "mst, mn1", "--executor", "serial",
                                               "--output", str(output)])
    assert result.exit_code == 0, result.output
    assert output.read_text().splitlines()[1].startswith("sig_300_10,300,10,")
    assert output.read_text().startswith("name,mst,mn1,cls_obs")
    result = CliRunner().invoke(scan_command, [str(BACKGROUND), "--patchset", str(patch_folder),
                                               "--patch-labels", "mst", "--executor", "serial"])
    assert result.exit_code != 0 and "patch_labels" in result.output and "Traceback" not in result.output


def test_patch_labels_are_for_patch_files_not_a_patchset():
    with pytest.raises(InvalidArgumentError, match="a patchset has its own labels"):
        scan(str(BACKGROUND), str(DATA / "two_bin_signal_points.json"), executor="serial",
             patch_labels=["a", "b"])
