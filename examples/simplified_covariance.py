"""A simplified-likelihood limit from a background covariance matrix (CMS-NOTE-2017-001).

    python examples/simplified_covariance.py [DATA_FOLDER]

The 8-bin model of the CMS note, as SModelS ships it (shared/data/simplified/CMS-NOTE-2017-001.json):
observed counts, background, background covariance and a signal. Prints the best fit and the
95% CL upper limit on mu with both Asimov conventions; SModelS's unit test quotes an upper limit of
131.586 on mu for the signal divided by 100, i.e. about 1.3159 for the signal as given.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import likelihub as lh

DEFAULT_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data_folder", nargs="?", type=Path, default=DEFAULT_DATA)
    arguments = parser.parse_args(argv)

    inputs = json.loads((arguments.data_folder / "simplified" / "CMS-NOTE-2017-001.json").read_text())
    model = lh.get_backend("simplified.correlated_background")(
        signal_yields=inputs["signal"], background_yields=inputs["background"],
        data=inputs["observed"], covariance_matrix=inputs["covariance"])
    print(model.fit())
    results = {}
    for convention in ("nominal", "fitted"):
        limit = model.upper_limit(asimov_global_observables=convention)
        print(f"Asimov global observables {convention}: {limit}")
        results[convention] = {"observed": limit.observed, "expected": limit.expected}
    return results


if __name__ == "__main__":
    main(sys.argv[1:])
