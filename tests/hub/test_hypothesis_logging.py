"""``cls`` logs each CLs it computes at debug level (what ``likelihub -vv`` shows), and only there."""

from __future__ import annotations

import logging

import likelihub as lh

from .counting import BatchCountingBackend


def test_each_cls_is_a_debug_message(caplog):
    model = lh.StatisticalModel(BatchCountingBackend(10.0, 5.0, 8.0, 0.1))
    with caplog.at_level(logging.INFO, logger="likelihub"):
        model.cls(1.0)
    assert not [r for r in caplog.records if r.name == "likelihub.hypothesis_tests"]
    with caplog.at_level(logging.DEBUG, logger="likelihub"):
        result = model.cls(1.0)
    messages = [r.getMessage() for r in caplog.records if r.name == "likelihub.hypothesis_tests"]
    assert len(messages) == 1 and messages[0].startswith("CLs at mu = 1 (asymptotic, qtilde)")
    assert repr(result.cls_obs) in messages[0] or str(result.cls_obs) in messages[0]
