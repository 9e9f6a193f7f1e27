"""Produce the pyhf numbers that test_against_pyhf.py holds as constants (run by hand, with the peers).

    /root/.cache/likelihub-peers/bin/python tests/combiner/make_pyhf_reference.py

The two counting components of combiner_counting.py written as one two-channel pyhf workspace: a shared
normfactor ``mu`` on the signal and a histosys per bin (code 0, up/down b (1 +/- delta)).
"""

import json

import pyhf

COMPONENTS = {
    "atlas": ([5.0, 3.0], [10.0, 20.0], [0.1, 0.2], [14.0, 21.0]),
    "cms": ([2.0, 4.0, 1.0], [8.0, 15.0, 5.0], [0.15, 0.1, 0.3], [7.0, 13.0, 5.0]),
}


def channel(name, signal, background, delta):
    samples = [{"name": "signal", "data": signal,
                "modifiers": [{"name": "mu", "type": "normfactor", "data": None}]}]
    for i, (b, d) in enumerate(zip(background, delta, strict=True)):
        nominal = [b if j == i else 0.0 for j in range(len(background))]
        shift = [b * d if j == i else 0.0 for j in range(len(background))]
        samples.append({"name": f"background_{i}", "data": nominal, "modifiers": [
            {"name": f"{name}_theta_{i}", "type": "histosys",
             "data": {"hi_data": [x + u for x, u in zip(nominal, shift, strict=True)],
                      "lo_data": [x - u for x, u in zip(nominal, shift, strict=True)]}}]})
    return {"name": name, "samples": samples}


def main():
    pyhf.set_backend("numpy")
    channels, observations = [], []
    for name, (signal, background, delta, observed) in COMPONENTS.items():
        channels.append(channel(name, signal, background, delta))
        observations.append({"name": name, "data": observed})
    spec = {"channels": channels, "observations": observations, "version": "1.0.0",
            "measurements": [{"name": "m", "config": {"poi": "mu", "parameters": [
                {"name": "mu", "bounds": [[0.0, 10.0]]}]}}]}
    workspace = pyhf.Workspace(spec)
    model = workspace.model()
    data = workspace.data(model)
    best, twice_nll = pyhf.infer.mle.fit(data, model, return_fitted_val=True)
    cls_obs, cls_exp = pyhf.infer.hypotest(1.0, data, model, test_stat="qtilde", return_expected_set=True)
    limit_obs, limit_exp = pyhf.infer.intervals.upper_limits.toms748_scan(data, model, 0.0, 10.0,
                                                                         rtol=1e-8)
    print(json.dumps({
        "mu_hat": float(best[model.config.poi_index]), "twice_nll": float(twice_nll),
        "cls_obs_mu1": float(cls_obs), "cls_exp_mu1": [float(x) for x in cls_exp],
        "limit_obs": float(limit_obs), "limit_exp": [float(x) for x in limit_exp],
    }, indent=1))


if __name__ == "__main__":
    main()
