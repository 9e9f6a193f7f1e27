"""The published plugin API: everything a backend author needs, in one module.

A plugin (a distribution with an entry point in the group ``likelihub.backends``) imports from the
core only ``likelihub``, ``likelihub.errors`` and this module; the bundled plugins do exactly that,
as a third-party plugin would (``tests/hub/test_plugin_api.py`` keeps it so). What is listed in
``__all__`` is a promise: it changes only with a new major version of likelihub.

    from likelihub.plugin import DataLayout, ModelConfig, StatisticalModel, hookimpl

    @hookimpl
    def likelihub_register_backends(register):
        register("mybackend.counting", make_counting, version="1.0", description="...")

What is here, by concern:

- hooks: :data:`hookimpl` marks a plugin's hook implementations (see
  :mod:`likelihub.registry.hookspecs` for the hooks);
- the contract: :class:`ModelConfig` and :class:`DataLayout` (what a backend declares),
  :class:`ConstraintTerm` (what ``constraint_terms()`` returns: a combination shares parameters)
  and :class:`ConstraintSet` (many terms' closed forms at once),
  :class:`Backend` and one protocol per optional capability, :func:`capabilities` (the one probe
  of what a backend offers, and the fallback for what it lacks), :func:`optional_method` (methods
  a backend offers per instance), :func:`check_backend` (the contract as a test),
  :class:`StatisticalModel` (what a backend factory returns);
- batches of same-structure models: :class:`BackendStack`, :class:`StackMember`;
- toys: :func:`draw_toys` (pseudo-data of any backend: its own sampler or the generic one);
- devices: :data:`DEVICES`, :func:`select_device`, :func:`cuda_available`, :data:`BYTES_PER_LAUNCH`,
  :func:`launch_rows`, :func:`rows_in_chunks`, :data:`THREADS_PER_BLOCK`, :func:`cuda_module` (a factory's
  ``device="auto"|"cpu"|"cuda"`` for batches on a GPU, the launch of a one-thread-per-row kernel,
  and batches sent in chunks; numba imported lazily);
- arguments: :mod:`arguments <likelihub.arguments>`, the checkers that turn bad user input into
  :mod:`likelihub.errors` errors naming the argument; :func:`poi_bounds_for`;
- command line: click option types (:data:`FINITE`, :class:`FiniteFloat`, :data:`CONFIDENCE_LEVEL`,
  :class:`OutputFile`, :data:`EXECUTOR`), :func:`reporting_errors`, :func:`one_line`,
  :func:`write_output`, :func:`text_table`;
- file formats (the files ``likelihub cls|limit|fit|inspect FILE`` read, registered with the hook
  ``likelihub_register_formats``: see :mod:`likelihub.registry.formats`): :func:`file_head`, the
  first bytes of a file for a format's ``detect``; :func:`open_model`, the model of a file of any
  installed format (what a combination of files reads);
- plots: :mod:`plot <likelihub.plot>` (matplotlib is imported only when a plot is drawn);
- scans: :class:`PointSource` and :class:`PointFamily` (what a plugin's point source, registered
  with the hook ``likelihub_register_point_sources``, gives :func:`likelihub.scan`: see
  :mod:`likelihub.running.points`), :class:`ScanPoint`, :func:`settings_of`, and the core's
  :class:`ModelEvaluator` and :class:`ScanResult`.
"""

from __future__ import annotations

from likelihub import arguments, plot
from likelihub.backend.capabilities import Capabilities, capabilities, optional_method
from likelihub.backend.checks import check_backend
from likelihub.backend.config import DataLayout, ModelConfig
from likelihub.backend.constraints import ConstraintSet, ConstraintTerm
from likelihub.backend.contract import (
    Backend,
    Stack,
    SupportsBatchDerivatives,
    SupportsConstraintTerms,
    SupportsDescribe,
    SupportsEvaluateMany,
    SupportsGradient,
    SupportsHessian,
    SupportsSampling,
    SupportsStacking,
    SupportsWarmUp,
    SupportsWarmUpModel,
    SupportsYields,
)
from likelihub.backend.stacking import BackendStack, StackMember
from likelihub.backend.yields import YieldLayout
from likelihub.cli.options import (
    CONFIDENCE_LEVEL,
    EXECUTOR,
    FINITE,
    FiniteFloat,
    OutputFile,
    emit_json,
    one_line,
    reporting_errors,
    write_output,
)
from likelihub.cli.tables import text_table
from likelihub.devices import (
    BYTES_PER_LAUNCH,
    DEVICES,
    THREADS_PER_BLOCK,
    cuda_available,
    cuda_module,
    launch_rows,
    rows_in_chunks,
    select_device,
)
from likelihub.infer.profile import poi_bounds_for
from likelihub.infer.toys import draw_toys
from likelihub.model import StatisticalModel
from likelihub.registry.catalogue import open_model
from likelihub.registry.formats import file_head
from likelihub.registry.hookspecs import hookimpl
from likelihub.running.points import PointFamily, PointSource, settings_of
from likelihub.running.scan import ModelEvaluator
from likelihub.running.scanning import ScanPoint, ScanResult

__all__ = [
    # hooks
    "hookimpl",
    # the contract
    "ModelConfig",
    "DataLayout",
    "Backend",
    "SupportsGradient",
    "SupportsHessian",
    "SupportsBatchDerivatives",
    "SupportsStacking",
    "Stack",
    "SupportsSampling",
    "SupportsDescribe",
    "SupportsConstraintTerms",
    "SupportsYields",
    "YieldLayout",
    "ConstraintTerm",
    "ConstraintSet",
    "SupportsEvaluateMany",
    "SupportsWarmUp",
    "SupportsWarmUpModel",
    "capabilities",
    "Capabilities",
    "optional_method",
    "check_backend",
    "StatisticalModel",
    # batches of same-structure models
    "BackendStack",
    "StackMember",
    # toys
    "draw_toys",
    # devices
    "DEVICES",
    "BYTES_PER_LAUNCH",
    "cuda_available",
    "select_device",
    "launch_rows",
    "rows_in_chunks",
    "THREADS_PER_BLOCK",
    "cuda_module",
    # arguments
    "arguments",
    "poi_bounds_for",
    # command line
    "FINITE",
    "FiniteFloat",
    "CONFIDENCE_LEVEL",
    "OutputFile",
    "EXECUTOR",
    "reporting_errors",
    "one_line",
    "write_output",
    "emit_json",
    "text_table",
    # file formats
    "file_head",
    "open_model",
    # plots
    "plot",
    # scans
    "PointSource",
    "PointFamily",
    "ScanPoint",
    "settings_of",
    "ModelEvaluator",
    "ScanResult",
]
