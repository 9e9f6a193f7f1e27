"""Recast: an ATLAS full likelihood and a CMS simplified likelihood, alone and combined.

    python examples/recast_atlas_cms.py [DATA_FOLDER] [--output recast_brazil.png] [--json out.json]

DATA_FOLDER is the folder of published likelihoods (default ``../shared/data`` beside the
repository). The two likelihoods:

- ATLAS-SUSY-2018-31 (sbottom multi-b, arXiv:1908.03122), region A: the full HistFactory
  likelihood from the HEPData pallet, with the signal patch ``sbottom_1300_205_60``;
- CMS-SUS-20-004 (arXiv:2201.04206): the simplified likelihood with third moments (Buckley et al.,
  arXiv:1809.05548) from the SModelS database, 22 signal regions, with the signal
  ``CMS_SIGNAL`` below: an illustrative signal that we state here, not a published one.

They share the signal strength mu and no nuisance parameters: the combination is their product
(``likelihub.combine``). The script prints CLs at mu = 1 and the 95% CL upper limits of each and
of the combination, and writes a Brazil-band figure (CLs versus mu) of all three.
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

ATLAS_ARCHIVE = "histfactory/atlas-susy-2018-31-sbottom.tar.gz"
ATLAS_WORKSPACE = "RegionA/BkgOnly.json"
ATLAS_PATCH = "RegionA/patch.sbottom_1300_205_60.json"

CMS_INPUTS = "simplified/CMS-SUS-20-004-eff.json"
#: Expected signal events in the 22 signal regions SR1..SR22 of CMS-SUS-20-004 at mu = 1: a
#: hypothetical signal (illustration only) in the regions of low background.
CMS_SIGNAL = [0.0, 0.0, 0.15, 0.15, 0.0, 0.0, 0.3, 0.6, 0.0, 0.15, 0.0, 0.45,
              0.3, 0.15, 0.09, 0.15, 0.0, 0.15, 0.15, 0.15, 0.3, 0.24]


def atlas_model(data_folder: Path) -> lh.StatisticalModel:
    """The ATLAS sbottom region-A full likelihood with the signal patch."""
    return lh.get_backend("histfactory")(data_folder / ATLAS_ARCHIVE, member=ATLAS_WORKSPACE,
                                         patches=[ATLAS_PATCH])


def cms_model(data_folder: Path) -> lh.StatisticalModel:
    """The CMS-SUS-20-004 simplified likelihood with third moments and CMS_SIGNAL."""
    inputs = json.loads((data_folder / CMS_INPUTS).read_text())
    return lh.get_backend("simplified.third_moment_expansion")(
        signal_yields=CMS_SIGNAL, background_yields=inputs["background"], data=inputs["observed"],
        covariance_matrix=inputs["covariance"], third_moment=inputs["third_moment"])


def summarise(name: str, model: lh.StatisticalModel) -> dict:
    """CLs at mu = 1 and the upper limits of one model, printed and returned."""
    cls = model.cls(1.0)
    limit = model.upper_limit(cl=0.95)
    print(f"{name}:\n  {cls}\n  {limit}")
    return {"cls_obs_mu1": cls.cls_obs, "cls_exp_mu1": cls.cls_exp,
            "upper_limit_obs": limit.observed, "upper_limit_exp": limit.expected,
            "limit": limit}


def brazil_figure(models: dict, results: dict, output: Path) -> Path:
    """One Brazil band per model, side by side, written to ``output``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    import likelihub.plot as lp

    figure, axes = plt.subplots(1, len(models), figsize=(5 * len(models), 4), sharey=True)
    for ax, (name, model) in zip(np.atleast_1d(axes), models.items(), strict=True):
        limit = results[name]["limit"]
        mus = np.linspace(0.0, 1.5 * max(limit.expected[4], limit.observed), 13)
        lp.brazil_band(model, mus, limit=limit, ax=ax)
        ax.set_title(name, loc="left")
    figure.tight_layout()
    figure.savefig(output, dpi=120)
    plt.close(figure)
    return output


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data_folder", nargs="?", type=Path, default=DEFAULT_DATA,
                        help="folder of the published likelihoods (default: ../shared/data)")
    parser.add_argument("--output", type=Path, default=Path("recast_brazil.png"),
                        help="the Brazil-band figure (PNG)")
    parser.add_argument("--json", type=Path, default=None, help="also write the numbers as JSON")
    arguments = parser.parse_args(argv)

    start = time.perf_counter()
    models = {"ATLAS sbottom (full)": atlas_model(arguments.data_folder),
              "CMS-SUS-20-004 (simplified)": cms_model(arguments.data_folder)}
    models["combined"] = lh.combine(*models.values(), names=["atlas", "cms"])
    results = {name: summarise(name, model) for name, model in models.items()}
    brazil_figure(models, results, arguments.output)
    print(f"Brazil bands written to {arguments.output} ({time.perf_counter() - start:.1f} s in all)")
    if arguments.json is not None:
        plain = {name: {k: v for k, v in r.items() if k != "limit"} for name, r in results.items()}
        arguments.json.write_text(json.dumps(plain, indent=1))
    return results


if __name__ == "__main__":
    main(sys.argv[1:])
