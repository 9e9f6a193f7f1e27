"""Diagnostics physicists look at after a fit: pulls and constraints of the nuisance parameters,
the correlation matrix, pre-fit and post-fit yields per channel and bin with uncertainty bands, and
the impact ranking of the nuisance parameters on the POI.

    from likelihub import diagnostics
    fit = model.fit()
    diagnostics.pulls(model, fit)            # PullsResult
    diagnostics.correlations(model, fit)     # CorrelationResult
    diagnostics.yields(model, fit)           # YieldsResult (post-fit); prefit=True for pre-fit
    diagnostics.ranking(model, fit)          # RankingResult: impacts on the POI

Each result prints as a table and converts to dict/JSON (``to_dict``, ``to_json``); plots are in
:mod:`likelihub.plot_diagnostics`, the commands ``likelihub pulls|correlations|yields|ranking``.
Conventions follow cabinetry (validated against cabinetry 0.6.0 in tests/hub/diagnostics).
"""

from likelihub.diagnostics.correlations import CorrelationResult, correlations
from likelihub.diagnostics.prefit import PrefitParameters, prefit_parameters
from likelihub.diagnostics.pulls import PullsResult, pulls
from likelihub.diagnostics.ranking import RankingResult, ranking
from likelihub.diagnostics.yields import YieldsResult, yields

__all__ = ["pulls", "PullsResult", "correlations", "CorrelationResult", "yields", "YieldsResult",
           "ranking", "RankingResult", "prefit_parameters", "PrefitParameters"]
