"""A CMS Combine datacard, alone and combined with an ATLAS full likelihood, without ROOT.

    python examples/cms_datacard.py [DATA_FOLDER] [--output cms_card_brazil.png] [--json out.json]

DATA_FOLDER is the folder of published likelihoods (default ``../shared/data`` beside the
repository). The likelihoods:

- CMS-SUS-20-004 (arXiv:2201.04206), the published Combine datacard of the signal point
  TChiHH(600, 150): 61 counting bins (signal, sideband and control regions), lnN, param and
  rateParam lines, its own signal yields; read by the ``combine.datacard`` backend as Combine's
  ``text2workspace.py`` builds it;
- ATLAS-SUSY-2018-31 (sbottom multi-b), region A: the full HistFactory likelihood from the HEPData
  pallet with the patch ``sbottom_1300_205_60``.

The script prints, for the CMS card, what ``combine -M MultiDimFit --algo singles``,
``-M Significance`` and ``-M AsymptoticLimits`` print (best fit of r with its 68% CL interval, the
significance, the observed limit and the 2.5..97.5% expected band), then the 95% CL limits of the
product of the two likelihoods with one signal strength. The two signals differ: the combination
only shows how a recaster multiplies a CMS card and an ATLAS pallet (``likelihub.combine``), for a
model that predicts both signals at mu = 1.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

import likelihub as lh

REPOSITORY = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPOSITORY.parent / "shared" / "data"

CMS_CARD = "datacards/cms_sus_20_004/2DTChiHH600_LSP150.txt"
ATLAS_ARCHIVE = "histfactory/atlas-susy-2018-31-sbottom.tar.gz"
ATLAS_WORKSPACE = "RegionA/BkgOnly.json"
ATLAS_PATCH = "RegionA/patch.sbottom_1300_205_60.json"


def cms_card(data_folder: Path) -> lh.StatisticalModel:
    """The CMS-SUS-20-004 datacard (TChiHH 600/150), POI r in Combine's default range [0, 20]."""
    return lh.get_backend("combine.datacard")(data_folder / CMS_CARD)


def atlas_model(data_folder: Path) -> lh.StatisticalModel:
    """The ATLAS sbottom region-A full likelihood with the signal patch."""
    return lh.get_backend("histfactory")(data_folder / ATLAS_ARCHIVE, member=ATLAS_WORKSPACE,
                                         patches=[ATLAS_PATCH])


def card_summary(model: lh.StatisticalModel) -> dict:
    """Combine's outputs for the card: best fit and interval, significance, limits."""
    interval = model.profile_interval("r")
    significance = model.significance()
    limit = model.upper_limit(cl=0.95, band="percentiles")
    print(model.describe())
    print(f"  MultiDimFit --algo singles: {interval}")
    print(f"  Significance: {significance.z_obs:.4f} sigma")
    print("  AsymptoticLimits:")
    print(f"    Observed Limit: r < {limit.observed:.4f}")
    for percent, value in zip((2.5, 16.0, 50.0, 84.0, 97.5), limit.expected, strict=True):
        print(f"    Expected {percent:4.1f}%: r < {value:.4f}")
    return {"best_fit_r": interval.best_fit, "interval68": [interval.low, interval.high],
            "significance": significance.z_obs, "upper_limit_obs": limit.observed,
            "upper_limit_exp": limit.expected, "limit": limit}


def brazil_figure(model: lh.StatisticalModel, limit, output: Path) -> Path:
    """CLs versus r with the expected band, the limits marked."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    import likelihub.plot as lp

    mus = np.linspace(0.0, 1.3 * max(limit.expected[4], limit.observed), 12)
    ax = lp.brazil_band(model, mus, limit=limit)
    ax.set_xlabel("r")
    ax.set_title("CMS-SUS-20-004, TChiHH(600, 150)", loc="left")
    ax.figure.savefig(output, dpi=120)
    plt.close(ax.figure)
    return output


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data_folder", nargs="?", type=Path, default=DEFAULT_DATA,
                        help="folder of the published likelihoods (default: ../shared/data)")
    parser.add_argument("--output", type=Path, default=Path("cms_card_brazil.png"),
                        help="the Brazil-band figure of the card (PNG)")
    parser.add_argument("--json", type=Path, default=None, help="also write the numbers as JSON")
    arguments = parser.parse_args(argv)

    start = time.perf_counter()
    card = cms_card(arguments.data_folder)
    results = {"cms_card": card_summary(card)}
    combined = lh.combine(atlas_model(arguments.data_folder), card, names=["atlas", "cms"])
    limit = combined.upper_limit(cl=0.95)
    print(f"ATLAS sbottom (full) x CMS-SUS-20-004 (card):\n  {limit}")
    results["combined"] = {"upper_limit_obs": limit.observed, "upper_limit_exp": limit.expected}
    brazil_figure(card, results["cms_card"]["limit"], arguments.output)
    print(f"Brazil band written to {arguments.output} ({time.perf_counter() - start:.1f} s in all)")
    if arguments.json is not None:
        plain = {name: {k: v for k, v in r.items() if k != "limit"} for name, r in results.items()}
        arguments.json.write_text(json.dumps(plain, indent=1))
    return results


if __name__ == "__main__":
    main(sys.argv[1:])
