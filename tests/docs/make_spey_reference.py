"""Produce spey 0.2.7's numbers for docs/coming-from-spey.md (run by hand, in an environment with spey):

    python -m venv /tmp/spey && /tmp/spey/bin/pip install spey==0.2.7
    /tmp/spey/bin/python tests/docs/make_spey_reference.py

The model is the 3-bin example shipped with likelihub-simplified, read from the repository's file
(spey needs no likelihub); the numbers go to tests/docs/spey_reference.json, which
tests/docs/test_guides.py compares with what the guide's likelihub code computes.
"""

import json
from pathlib import Path

import spey

HERE = Path(__file__).resolve().parent
EXAMPLE = HERE.parents[1] / "plugins/simplified/likelihub_simplified/data/example_simplified.json"


def main():
    example = json.loads(EXAMPLE.read_text())
    s, b, n, cov = (example[key] for key in ("signal", "background", "observed", "covariance"))
    model = spey.get_backend("default.correlated_background")(
        signal_yields=s, background_yields=b, data=n, covariance_matrix=cov, analysis="example",
        xsection=1.0)
    observed, aposteriori, apriori = (spey.ExpectationType.observed, spey.ExpectationType.aposteriori,
                                      spey.ExpectationType.apriori)
    z_exp, z_obs, p_obs, p_exp = model.significance()
    mu_hat, nll = model.maximize_likelihood()
    numbers = {
        "spey": spey.__version__,
        "exclusion_confidence_level": [float(x) for x in model.exclusion_confidence_level(expected=observed)],
        "exclusion_confidence_level_aposteriori": [
            float(x) for x in model.exclusion_confidence_level(expected=aposteriori)],
        "exclusion_confidence_level_apriori": [
            float(x) for x in model.exclusion_confidence_level(expected=apriori)],
        "poi_upper_limit": float(model.poi_upper_limit(expected=observed)),
        "poi_upper_limit_aposteriori": float(model.poi_upper_limit(expected=aposteriori)),
        "poi_upper_limit_apriori": float(model.poi_upper_limit(expected=apriori)),
        "chi2_mu1": float(model.chi2(poi_test=1.0)),
        "chi2_mu1_over_mu0": float(model.chi2(poi_test=1.0, poi_test_denominator=0.0)),
        "mu_hat": float(mu_hat),
        "nll": float(nll),
        "sigma_mu_1": float(model.sigma_mu(1.0)),
        "significance": {"z_exp": float(z_exp), "z_obs": float(z_obs), "p_obs": float(p_obs[0]),
                         "p_exp_median": float(p_exp[2])},
    }
    (HERE / "spey_reference.json").write_text(json.dumps(numbers, indent=1) + "\n")


if __name__ == "__main__":
    main()
