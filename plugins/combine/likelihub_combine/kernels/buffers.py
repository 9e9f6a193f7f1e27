"""A model as two flat buffers, one of int64 and one of float64: what every kernel takes.

A kernel call with two arrays costs about 0.5 us in numba's dispatcher, one with a tuple of the
forty-odd arrays of a model about 4 us (each array is typed on every call): more than a counting
card's whole likelihood. So the arrays of :mod:`.layout` are packed, each a named *section*, into
``ints`` and ``floats``; ``ints`` opens with a header of (start, length) per section, ints first
(in :data:`INT_SECTIONS` order), then floats (:data:`FLOAT_SECTIONS`). The kernels take a section
as a view (:func:`ints_of`, :func:`floats_of`). A stack of models (:mod:`.stacked`) is the
concatenation of its members' buffers.

numba caches a kernel by its own source file: after changing the sections here, delete the
``__pycache__`` folder of :mod:`likelihub_combine.kernels` so that the kernels compile again.
"""

from __future__ import annotations

import numba
import numpy as np

__all__ = ["INT_SECTIONS", "FLOAT_SECTIONS", "pack", "ints_of", "floats_of", "SIZES"]

#: The int64 sections, in their order in the header.
INT_SECTIONS = (
    "sizes",             # see SIZES
    "column_bins",       # (K, 2) each column's first and past-the-last bin (its channel's)
    "column_flags",      # (K,) MORPHED | RENORMALISE | LOG_MORPHED
    "factor_start",      # (K + 1,) each column's factor parameters in factor_parameter
    "factor_parameter",  # the factor parameters (lnN, lnU, shape normalisation, scale, formula arguments)
    "lognormal_start",   # (K + 1,) each column's log-normal terms
    "lognormal_kind",    # 0 symmetric (log kappa theta), 1 asymmetric (logKappaForX)
    "lognormal_slot",    # the term's parameter, as a slot of the column's factor parameters
    "product_start",     # (K + 1,) each column's product terms (scale parameters, formulas)
    "product_formula",   # the term's formula (index into formula_start), -1 for a scale parameter
    "product_arguments", # (terms + 1,) each product term's arguments in product_slot
    "product_slot",      # the arguments, as slots of the column's factor parameters
    "formula_start",     # (formulas + 1,) each formula's program in formula_ops
    "formula_ops",       # op codes (likelihub_combine.kernels.formulas)
    "formula_operands",  # the op's argument index or constant index
    "shape_start",       # (K + 1,) each column's shape parameters in shape_parameter
    "shape_parameter",   # the parameters that morph the column's shape
    "morph_start",       # (K + 1,) each column's additive morphs
    "morph_slot",        # the morph's parameter, as a slot of the column's shape parameters
    "log_morph_start",   # (K + 1,) each column's logarithmic (shapeN) morphs
    "log_morph_slot",
    "entry_kind",        # (K * B,) autoMCStats term of (column, bin): 0 none, 1 Gaussian, 2 Poisson
    "entry_parameter",   # (K * B,) its parameter
    "bin_lite",          # (B,) the bin's Barlow-Beeston-lite parameter, -1 for none
    "bin_clip",          # (B,) 1 where the bin is clipped at 1e-9 (autoMCStats channels)
    "normal_parameter",  # Gaussian constraints: parameter, index of the global observable in the data
    "normal_datum",
    "poisson_parameter", # Poisson constraints (gmN, autoMCStats Poisson counts)
    "poisson_datum",
)
#: The float64 sections.
FLOAT_SECTIONS = (
    "column_norm",       # (K,) normalisation at nominal
    "column_integral",   # (K,) template integral (autoMCStats coefficients), 1 for counting columns
    "column_floor",      # (K,) floor of the morphed unit shape
    "column_region",     # (K,) smoothing region of the morphs
    "lognormal_low",     # log kappa (symmetric), or log kappa_low (asymmetric)
    "lognormal_high",    # log kappa_high (asymmetric)
    "formula_constants",
    "shape",             # (K * B,) nominal unit shapes
    "morph_scale", "morph_diff", "morph_sum",               # (M,), (M * B,), (M * B,)
    "log_morph_scale", "log_morph_diff", "log_morph_sum",
    "entry_coefficient", # (K * B,) error / integral (Gaussian), 1 / count (Poisson)
    "error2",            # (K * B,) squared template errors (Barlow-Beeston-lite bins), or empty
    "sigma_low", "sigma_high",
)

#: The entries of the ``sizes`` section.
SIZES = ("columns", "bins", "parameters", "max_bins", "max_factors", "max_shapes", "max_products",
         "max_arguments", "max_program", "has_entries", "has_lite")

(I_SIZES, I_COLUMN_BINS, I_COLUMN_FLAGS, I_FACTOR_START, I_FACTOR_PARAMETER, I_LOGNORMAL_START,
 I_LOGNORMAL_KIND, I_LOGNORMAL_SLOT, I_PRODUCT_START, I_PRODUCT_FORMULA, I_PRODUCT_ARGUMENTS,
 I_PRODUCT_SLOT, I_FORMULA_START, I_FORMULA_OPS, I_FORMULA_OPERANDS, I_SHAPE_START,
 I_SHAPE_PARAMETER, I_MORPH_START, I_MORPH_SLOT, I_LOG_MORPH_START, I_LOG_MORPH_SLOT, I_ENTRY_KIND,
 I_ENTRY_PARAMETER, I_BIN_LITE, I_BIN_CLIP, I_NORMAL_PARAMETER, I_NORMAL_DATUM, I_POISSON_PARAMETER,
 I_POISSON_DATUM) = range(len(INT_SECTIONS))
(F_COLUMN_NORM, F_COLUMN_INTEGRAL, F_COLUMN_FLOOR, F_COLUMN_REGION, F_LOGNORMAL_LOW,
 F_LOGNORMAL_HIGH, F_FORMULA_CONSTANTS, F_SHAPE, F_MORPH_SCALE, F_MORPH_DIFF, F_MORPH_SUM,
 F_LOG_MORPH_SCALE, F_LOG_MORPH_DIFF, F_LOG_MORPH_SUM, F_ENTRY_COEFFICIENT, F_ERROR2, F_SIGMA_LOW,
 F_SIGMA_HIGH) = range(len(FLOAT_SECTIONS))

(S_COLUMNS, S_BINS, S_PARAMETERS, S_MAX_BINS, S_MAX_FACTORS, S_MAX_SHAPES, S_MAX_PRODUCTS,
 S_MAX_ARGUMENTS, S_MAX_PROGRAM, S_HAS_ENTRIES, S_HAS_LITE) = range(len(SIZES))

#: Bits of ``column_flags``.
MORPHED, RENORMALISE, LOG_MORPHED = 1, 2, 4

_N_INTS = len(INT_SECTIONS)
_HEADER = 2 * (len(INT_SECTIONS) + len(FLOAT_SECTIONS))


def pack(ints: dict, floats: dict) -> tuple[np.ndarray, np.ndarray]:
    """The two buffers of the named arrays ``ints`` and ``floats`` (every section named once)."""
    if set(ints) != set(INT_SECTIONS) or set(floats) != set(FLOAT_SECTIONS):
        raise ValueError(f"sections missing or unknown: {set(ints) ^ set(INT_SECTIONS)} "
                         f"{set(floats) ^ set(FLOAT_SECTIONS)}")
    int_parts = [np.asarray(ints[name], np.int64).ravel() for name in INT_SECTIONS]
    float_parts = [np.asarray(floats[name], np.float64).ravel() for name in FLOAT_SECTIONS]
    header = np.empty(_HEADER, np.int64)
    start = _HEADER
    for i, part in enumerate(int_parts):
        header[2 * i], header[2 * i + 1] = start, part.size
        start += part.size
    start = 0
    for j, part in enumerate(float_parts):
        i = len(INT_SECTIONS) + j
        header[2 * i], header[2 * i + 1] = start, part.size
        start += part.size
    return (np.ascontiguousarray(np.concatenate([header, *int_parts])),
            np.ascontiguousarray(np.concatenate([np.zeros(0), *float_parts])))


# inline="always": inlined at numba's IR level into their callers; the CUDA kernel's copies
# (kernels/cuda.py) must be, since a device function cannot return an array
@numba.njit(inline="always")
def ints_of(ints, section):
    """The int64 section ``section`` (an ``I_*`` index) of ``ints``, a view."""
    start = ints[2 * section]
    return ints[start:start + ints[2 * section + 1]]


@numba.njit(inline="always")
def floats_of(ints, floats, section):
    """The float64 section ``section`` (an ``F_*`` index) of ``floats``, a view."""
    i = 2 * (_N_INTS + section)
    start = ints[i]
    return floats[start:start + ints[i + 1]]
