"""An exclusion contour over a published signal grid: every point of the ATLAS 1Lbb patchset.

    python examples/exclusion_contour.py [DATA_FOLDER] [--every 1] [--output exclusion_1Lbb.png]

ATLAS-SUSY-2019-08 (1 lepton + H(bb), arXiv:1909.09226) publishes its background-only workspace and
125 signal patches labelled by the chargino/neutralino masses (m1, m2). ``likelihub.scan`` computes
CLs at mu = 1 for each (on local processes), and ``likelihub.plot.exclusion_contour`` draws where
CLs = 0.05: observed, and expected with its +-1 and +-2 sigma bands (CLs interpolated as a
significance by a smoothing thin-plate spline, clipped to the points' convex hull:
``likelihub.contour_interpolation``). ``--every N`` keeps every N-th
point (a quicker, coarser picture). The table of all points is written beside the figure (CSV).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import likelihub as lh
import likelihub.plot as lp
from likelihub_histfactory.spec.patchset import PatchSet

DEFAULT_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
ARCHIVE = "histfactory/atlas-susy-2019-08-1Lbb.tar.gz"


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data_folder", nargs="?", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--every", type=int, default=1, help="keep every N-th signal point")
    parser.add_argument("--output", type=Path, default=Path("exclusion_1Lbb.png"))
    arguments = parser.parse_args(argv)

    archive = arguments.data_folder / ARCHIVE
    patchset = PatchSet(archive, member="patchset.json")
    if arguments.every > 1:
        spec = dict(patchset.spec, patches=patchset.spec["patches"][::arguments.every])
        patchset = PatchSet(spec)
    table = lh.scan(archive, patchset, member="BkgOnly.json", mu=1.0, progress=False)
    failed = [row["name"] for row in table.rows if row.get("error")]
    if failed:
        raise SystemExit(f"points failed: {failed}")
    table.write(str(arguments.output.with_suffix(".csv")))
    # axes from the patchset's labels (m1, m2: masses, so [GeV]); CLs interpolated smoothly
    ax = lp.exclusion_contour(table)
    ax.set_title("ATLAS-SUSY-2019-08 (1Lbb), 95% CL exclusion")
    lp.save(ax, arguments.output)
    excluded = sum(row["cls_obs"] < 0.05 for row in table.rows)
    print(f"{len(table.rows)} points, {excluded} excluded at 95% CL (observed); figure {arguments.output}")
    return {"points": len(table.rows), "excluded": excluded, "figure": str(arguments.output)}


if __name__ == "__main__":
    main()
