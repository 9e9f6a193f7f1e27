"""Maximum-likelihood fits: one engine for a single fit and for batches of fits.

- :mod:`~likelihub.fits.engine`: :func:`fit`, the entry point (projected Newton, the kink fallback,
  then MIGRAD and scipy), judged by its minimum;
- :mod:`~likelihub.fits.newton`: the projected-Newton solver (a single fit is a batch of one);
- :mod:`~likelihub.fits.batch`: many fits in lock-step (toys, scans of same-structure models);
- :mod:`~likelihub.fits.objective`: the negative log-likelihood the minimisers see;
- :mod:`~likelihub.fits.minimum`: what makes a point a minimum (projected gradient, EDM);
- :mod:`~likelihub.fits.kinks`: minima on kinks of -log L (a bundle-Newton fallback and its check);
- :mod:`~likelihub.fits.result`: :class:`FitResult` (one fit) and :class:`FitResults` (a batch,
  indexable to a :class:`FitResult`);
- :mod:`~likelihub.fits.budget`: evaluation and wall-clock budgets;
- :mod:`~likelihub.fits.blas`: one BLAS thread around small dense algebra.
"""
