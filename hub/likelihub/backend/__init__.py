"""The backend contract and what the core builds on it.

- :mod:`~likelihub.backend.config`: :class:`ModelConfig` and :class:`DataLayout`, what a backend
  declares about its parameters and data;
- :mod:`~likelihub.backend.contract`: the required :class:`Backend` protocol and one protocol per
  optional capability;
- :mod:`~likelihub.backend.capabilities`: :func:`capabilities`, the one probe of what a backend
  offers, with the fallback the core takes for each capability it lacks;
- :mod:`~likelihub.backend.derivatives`: numerical derivatives, the fallback where a backend has none;
- :mod:`~likelihub.backend.stacking`: many same-structure models evaluated as one batch;
- :mod:`~likelihub.backend.checks`: :func:`check_backend`, the contract as a test.
"""
