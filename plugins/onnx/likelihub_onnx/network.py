"""One ONNX network: read, checked, and run with onnxruntime on rows of inputs.

:class:`Network` holds an onnxruntime session of a model with one input tensor of shape
(rows, k) (k values per row; the rows dimension may be symbolic, or fixed at 1, in which case rows
are run one at a time) and any number of outputs of shape (rows,) or (rows, m).

Published networks are mostly float32. Their weights are exact in float64, and so computed in
float64 they give the same function without float32's rounding, which matters for inference:
-ln L ~ 50 carries ~3e-6 of rounding in float32, a central difference of it ~3e-4, and a fit's
estimated distance to the minimum (EDM ~ g^2 / 2H) then stays above likelihub's 1e-8. So
``precision="auto"`` (the default) converts a float32 network to float64
(:func:`likelihub_onnx.precision.as_float64`) and runs it as stored only where that fails (an
operator without a float64 kernel in onnxruntime that it cannot rewrite, a subgraph);
``"float64"`` requires the conversion, ``"native"`` skips it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from likelihub.errors import InvalidModelError

from .precision import as_float64

__all__ = ["Network", "PRECISIONS"]

PRECISIONS = ("auto", "float64", "native")

#: onnxruntime's names of the tensor types a network may take and give.
_DTYPES = {"tensor(float)": np.float32, "tensor(double)": np.float64}


def _read(source, argument: str):
    """(ModelProto, label) of a path, the bytes of a file, or a ModelProto."""
    import onnx
    from google.protobuf.message import DecodeError

    if isinstance(source, onnx.ModelProto):
        return source, "<ModelProto>"
    if isinstance(source, (bytes, bytearray)):
        try:
            return onnx.load_model_from_string(bytes(source)), "<bytes>"
        except (DecodeError, ValueError) as exc:
            raise InvalidModelError(f"the bytes given are not an ONNX model ({exc})",
                                    argument=argument) from None
    if not isinstance(source, (str, os.PathLike)):
        raise InvalidModelError(f"must be a path to an .onnx file, its bytes or an onnx.ModelProto, "
                                f"got {type(source).__name__}", argument=argument)
    path = Path(source)
    if not path.is_file():
        raise InvalidModelError("no such file" if not path.exists() else "not a file", file=str(path))
    try:
        return onnx.load(str(path)), str(path)
    except (DecodeError, ValueError, OSError, RuntimeError) as exc:
        raise InvalidModelError(f"not an ONNX model ({type(exc).__name__}: {exc})", file=str(path)) from None


def _input_type(model) -> str | None:
    """onnxruntime's name of the type of the graph's first input (None where it has none)."""
    from onnx import TensorProto

    inputs = [i for i in model.graph.input if i.name not in {t.name for t in model.graph.initializer}]
    if not inputs:
        return None
    elem = inputs[0].type.tensor_type.elem_type
    return {TensorProto.FLOAT: "tensor(float)", TensorProto.DOUBLE: "tensor(double)"}.get(elem)


class Network:
    """An ONNX network with one input tensor of (rows, k) values, run with onnxruntime.

    Parameters
    ----------
    source
        Path of an ``.onnx`` file, its bytes, or an ``onnx.ModelProto``.
    precision
        ``"auto"`` (float64 where the conversion runs, else as stored), ``"float64"`` (a float32
        network converted first) or ``"native"`` (run as stored).
    threads
        onnxruntime's intra-op threads (1: the fastest for small networks, and no contention with
        likelihub's worker processes).
    argument
        The factory's argument that gave ``source`` (named in errors).

    Attributes
    ----------
    label
        The file's path (or ``<bytes>``), named in every error about the network.
    metadata
        The model's ``metadata_props`` as a dict of strings.
    input_name, n_inputs
        The input tensor's name and its values per row (None where the file does not say).
    outputs
        ``{name: values per row}`` (1 for an output of shape (rows,), None where unknown).
    dtype, epsilon
        The numpy type the network computes in, and its machine epsilon.
    precision_note
        How it computes, for ``describe()``: "float64", "float32", or why a conversion was not made.
    """

    def __init__(self, source, *, precision: str = "auto", threads: int = 1, argument: str = "model"):
        proto, self.label = _read(source, argument)
        self.metadata = {p.key: p.value for p in proto.metadata_props}
        stored = _DTYPES.get(_input_type(proto))
        self.precision_note = "float64" if stored is np.float64 else "float32"
        self.session = None
        if precision != "native" and stored is np.float32:
            try:
                self.session = self._session(as_float64(proto), threads)
                self.precision_note = "float64 (converted from float32)"
            except InvalidModelError as exc:
                if precision == "float64":
                    raise
                self.precision_note = f"float32 (not converted: {exc.reason})"
        if self.session is None:
            self.session = self._session(proto, threads)
        inputs = self.session.get_inputs()
        if len(inputs) != 1:
            raise InvalidModelError(f"the network must take one input tensor of (rows, values); it "
                                    f"takes {len(inputs)}: {[i.name for i in inputs]}", file=self.label)
        tensor = inputs[0]
        self.input_name = tensor.name
        if tensor.type not in _DTYPES:
            raise InvalidModelError(f"input {tensor.name!r} is a {tensor.type}; float or double expected",
                                    file=self.label)
        self.dtype = _DTYPES[tensor.type]
        self.epsilon = float(np.finfo(self.dtype).eps)
        shape = list(tensor.shape)
        if len(shape) != 2:
            raise InvalidModelError(f"input {tensor.name!r} has shape {shape}; (rows, values) expected",
                                    file=self.label)
        self.fixed_rows = shape[0] if isinstance(shape[0], int) else None
        self.n_inputs = shape[1] if isinstance(shape[1], int) else None
        self.outputs = {}
        for output in self.session.get_outputs():
            dims = list(output.shape) if output.shape is not None else []
            self.outputs[output.name] = (1 if len(dims) == 1 else dims[1] if len(dims) == 2
                                         and isinstance(dims[1], int) else None)

    def _session(self, proto, threads: int):
        """An onnxruntime session of ``proto`` (its bytes kept, so that the network pickles)."""
        import onnxruntime

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        serialized = proto if isinstance(proto, bytes) else proto.SerializeToString()
        try:
            session = onnxruntime.InferenceSession(serialized, options, providers=["CPUExecutionProvider"])
        except Exception as exc:  # onnxruntime raises its own exception classes, all unrelated
            raise InvalidModelError(f"onnxruntime cannot run it ({one_line_error(exc)})",
                                    file=self.label) from None
        self._serialized, self._threads = serialized, threads
        return session

    def __getstate__(self) -> dict:
        """Pickled without the session (worker processes rebuild it from the model's bytes)."""
        return {key: value for key, value in self.__dict__.items() if key != "session"}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self.session = self._session(self._serialized, self._threads)

    def __repr__(self) -> str:
        return f"<Network {self.label}: input {self.input_name!r} ({self.n_inputs} values)>"

    def check_input_size(self, size: int, what: str, argument: str) -> None:
        """Raise where the network's input does not take ``size`` values per row (``what`` gives them)."""
        if self.n_inputs is not None and self.n_inputs != size:
            raise InvalidModelError(f"input {self.input_name!r} of {self.label} takes {self.n_inputs} "
                                    f"values per row, {what} give {size}", argument=argument)

    def check_output(self, name: str, column: int, argument: str) -> None:
        """Raise unless ``name`` is an output with a column ``column`` (negative: from the end)."""
        if name not in self.outputs:
            raise InvalidModelError(f"{self.label} has no output {name!r}; its outputs: "
                                    f"{list(self.outputs)}", argument=argument)
        width = self.outputs[name]
        if width is not None and not -width <= column < width:
            raise InvalidModelError(f"column {column} of output {name!r} of {self.label}, which has "
                                    f"{width} values per row", argument=argument)

    def metadata_json(self, key: str, text: bool = False):
        """The metadata entry ``key`` parsed as JSON (None where absent); with ``text``, a value
        that is no JSON is taken as a string (``likelihub.output = nll``)."""
        if key not in self.metadata:
            return None
        try:
            return json.loads(self.metadata[key])
        except ValueError as exc:
            if text:
                return self.metadata[key]
            raise InvalidModelError(f"metadata {key!r} is not JSON ({exc})", file=self.label) from None

    def run(self, x: np.ndarray, names: Sequence[str]) -> list[np.ndarray]:
        """The outputs ``names`` at the rows of ``x`` (rows, k), each as float64 of shape (rows, m)."""
        rows = x.shape[0]
        if rows == 0:
            return [np.empty((0, self.outputs[name] or 1)) for name in names]
        feed = np.ascontiguousarray(x, dtype=self.dtype)
        if self.fixed_rows is not None and self.fixed_rows != rows:
            if self.fixed_rows != 1:
                raise InvalidModelError(f"input {self.input_name!r} takes exactly {self.fixed_rows} rows",
                                        file=self.label)
            parts = [self.run(feed[i:i + 1], names) for i in range(rows)]
            return [np.concatenate([part[j] for part in parts]) for j in range(len(names))]
        try:
            results = self.session.run(list(names), {self.input_name: feed})
        except Exception as exc:  # onnxruntime's own exception classes
            raise InvalidModelError(f"onnxruntime failed on {rows} rows of {x.shape[1]} values "
                                    f"({one_line_error(exc)})", file=self.label) from None
        out = []
        for name, result in zip(names, results, strict=True):
            result = np.asarray(result, dtype=np.float64)
            if result.ndim == 0 or result.shape[0] != rows:
                raise InvalidModelError(f"output {name!r} has shape {result.shape} for {rows} input "
                                        f"rows: one row per input row expected", file=self.label)
            out.append(result.reshape(rows, -1))
        return out


def one_line_error(exc: BaseException) -> str:
    """An exception as one short line (onnxruntime's messages run over lines)."""
    text = " ".join(str(exc).split())
    return text if len(text) <= 300 else text[:297] + "..."
