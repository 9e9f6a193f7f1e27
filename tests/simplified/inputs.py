"""Inputs shared by the simplified plugin's tests: a 3-bin covariance, third moments, and each
backend's own arguments on them."""

import numpy as np

from likelihub_simplified import covariance_to_correlation

COVARIANCE = np.array([[1.0, 0.3, -0.2], [0.3, 4.0, 0.5], [-0.2, 0.5, 2.0]])
THIRD_MOMENT = np.array([0.5, 2.0, -1.0])

#: Each backend's own arguments (besides signal, background and data).
ARGUMENTS = {
    "poisson": {},
    "normal": dict(absolute_uncertainties=np.sqrt(np.diag(COVARIANCE))),
    "multivariate_normal": dict(covariance_matrix=COVARIANCE),
    "uncorrelated_background": dict(absolute_uncertainties=np.sqrt(np.diag(COVARIANCE))),
    "correlated_background": dict(covariance_matrix=COVARIANCE),
    "third_moment_expansion": dict(covariance_matrix=COVARIANCE, third_moment=THIRD_MOMENT),
    "effective_sigma": dict(correlation_matrix=covariance_to_correlation(COVARIANCE),
                            absolute_uncertainty_envelopes=[[1.2, 0.8], [2.5, 1.6], [1.0, 1.4]]),
}
