"""A hypothesis test and an upper limit from an ATLAS HEPData pallet (HistFactory full likelihood).

    python examples/histfactory_pallet.py [DATA_FOLDER] [--patch C1N2_Wh_hbb_900_250]

Reads ATLAS-SUSY-2019-08 (1 lepton + H(bb), arXiv:1909.09226) straight from its pallet archive:
the background-only workspace and one signal of its patchset, then prints the fit, CLs at mu = 1
with the expected band, and (with --limit) the 95% CL upper limits.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import likelihub as lh

DEFAULT_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
ARCHIVE = "histfactory/atlas-susy-2019-08-1Lbb.tar.gz"


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data_folder", nargs="?", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--patch", default="C1N2_Wh_hbb_900_250", help="a label of the patchset")
    parser.add_argument("--limit", action="store_true", help="also compute the upper limits")
    arguments = parser.parse_args(argv)

    model = lh.get_backend("histfactory")(arguments.data_folder / ARCHIVE, member="BkgOnly.json",
                                          patchset="patchset.json", patch_name=arguments.patch)
    print(model.describe().splitlines()[0])
    best = model.fit()
    print(f"best fit: {model.config.poi_name} = {best[model.config.poi_name]:.4f}, "
          f"-2 log L = {best.twice_nll:.4f}")
    cls = model.cls(1.0)
    print(cls)
    result = {"mu_hat": best[model.config.poi_name], "cls_obs_mu1": cls.cls_obs,
              "cls_exp_mu1": cls.cls_exp}
    if arguments.limit:
        limit = model.upper_limit()
        print(limit)
        result.update(upper_limit_obs=limit.observed, upper_limit_exp=limit.expected)
    return result


if __name__ == "__main__":
    main(sys.argv[1:])
