"""HistFactory workspaces: the model, the observed data and the measurements of a published analysis.

    ws = Workspace.load("BkgOnly.json")            # or a dict, or an archive with member=...
    ws.channels, ws.samples, ws.modifiers, ws.parameters, ws.measurement_names
    ws.data("SR")                                  # observed counts of one channel
    ws.prune(channels=["VR"]).rename(samples={"ttbar": "top"}).sorted()
    Workspace.combine(ws_a, ws_b, join="outer")
    spec, measurement = ws.model_spec(patches=["patch.json"])   # what the likelihood is built from

A :class:`Workspace` is immutable: every operation returns a new one, validated against the
schema and :func:`.checks.check_workspace`. Semantics follow pyhf's
``Workspace`` (pyhf 0.7.6): names listed sorted, the first measurement by default, the same join
modes for :meth:`Workspace.combine`. Patches apply to the whole workspace (as
``pyhf patchset apply`` does), so their paths start at ``/channels``, ``/observations`` or
``/measurements``. :func:`.model_spec.load_model_spec` builds a model's specification from a
workspace, its patches and patchset in one call.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence

from likelihub.errors import InvalidModelError

from ..modifiers import constraint_term
from .checks import (
    check_channels,
    check_model,
    check_observations,
    check_patched_channels,
    check_workspace,
    model_parameters,
)
from .io import read_json
from .patches import apply_patches, digest
from .schema import valid_channel
from .schema import validate as validate_schema
from .workspace_combine import JOINS, combine_specs
from .workspace_edit import prune_and_rename

__all__ = ["Workspace", "load_workspace", "JOINS"]

def _copy(spec):
    return json.loads(json.dumps(spec))


def load_workspace(source, member: str | None = None, validate: bool = True) -> dict:
    """A workspace specification from a dict, a JSON path or a pallet member, checked.

    Parameters
    ----------
    source
        A dict (copied), a JSON path, or a ``.tar.gz`` archive (with ``member``).
    member
        The member of the archive (its path, or its file name where unique).
    validate
        Check the schema and the semantics (:func:`~.checks.check_workspace`).
    """
    return Workspace.load(source, member=member, validate=validate).to_dict()


class Workspace:
    """A checked HistFactory workspace (pyhf JSON specification 1.0.0).

    Parameters
    ----------
    spec
        The workspace dictionary (copied).
    file
        Where it came from, named in errors.
    validate
        Check the schema and the semantics (skip only for a spec already checked).
    """

    def __init__(self, spec: Mapping, file: str | None = None, validate: bool = True):
        if not isinstance(spec, Mapping):
            raise InvalidModelError(f"a workspace is a JSON object, not {type(spec).__name__}",
                                    file=file)
        self._spec = _copy(spec)
        self.file = file
        if validate:
            validate_schema(self._spec, "workspace", file=file)
            check_workspace(self._spec, file)

    @classmethod
    def load(cls, source, member: str | None = None, validate: bool = True) -> Workspace:
        """A workspace from a dict, a JSON path, or a ``.tar.gz`` pallet and its ``member``."""
        if isinstance(source, Workspace):
            return source
        spec, origin = read_json(source, member)
        return cls(spec, file=origin, validate=validate)

    # -- contents ----------------------------------------------------------------------------
    def to_dict(self) -> dict:
        """The specification as a new plain dictionary."""
        return _copy(self._spec)

    def __eq__(self, other) -> bool:
        return isinstance(other, Workspace) and self._spec == other._spec

    def __repr__(self) -> str:
        return (f"<Workspace {self.file or ''}: {len(self.channels)} channels, "
                f"{sum(self.channel_nbins.values())} bins, {len(self.parameters)} parameters, "
                f"measurements {self.measurement_names}>")

    @property
    def version(self) -> str:
        """Version of the specification."""
        return self._spec["version"]

    @property
    def channels(self) -> list[str]:
        """Channel names, sorted."""
        return sorted(c["name"] for c in self._spec["channels"])

    @property
    def channel_nbins(self) -> dict[str, int]:
        """Number of bins of each channel, by sorted channel name."""
        bins = {c["name"]: len(c["samples"][0]["data"]) for c in self._spec["channels"]}
        return {name: bins[name] for name in sorted(bins)}

    @property
    def samples(self) -> list[str]:
        """Sample names over all channels, sorted, each once."""
        return sorted({s["name"] for c in self._spec["channels"] for s in c["samples"]})

    @property
    def modifiers(self) -> list[tuple[str, str]]:
        """(name, type) of every modifier, sorted, each once."""
        return sorted({(m["name"], m["type"]) for c in self._spec["channels"]
                       for s in c["samples"] for m in s["modifiers"]})

    @property
    def parameters(self) -> list[str]:
        """Names of the model's parameters (one per modifier name), sorted."""
        return sorted(model_parameters(self._spec["channels"]))

    def parameter_summary(self) -> list[dict]:
        """For each parameter (sorted): name, modifier types, components, constraint."""
        sizes = model_parameters(self._spec["channels"])
        types: dict[str, set] = {}
        for name, kind in self.modifiers:
            types.setdefault(name, set()).add(kind)
        return [{"name": name, "modifiers": sorted(types[name]), "components": sizes[name][1],
                 "constraint": constraint_term(sizes[name][0])} for name in sorted(sizes)]

    @property
    def observations(self) -> dict[str, list[float]]:
        """Observed counts by channel name."""
        return {o["name"]: list(o["data"]) for o in self._spec["observations"]}

    def data(self, channel: str) -> list[float]:
        """Observed counts of ``channel``."""
        observations = self.observations
        if channel not in observations:
            raise InvalidModelError(f"no observations for this channel; there are "
                                    f"{sorted(observations)}", file=self.file, channel=channel)
        return observations[channel]

    @property
    def measurement_names(self) -> list[str]:
        """Measurement names, in the workspace's order."""
        return [m["name"] for m in self._spec["measurements"]]

    @property
    def measurements(self) -> list[dict]:
        """The measurements (copies)."""
        return _copy(self._spec["measurements"])

    def measurement(self, name: str | None = None) -> dict:
        """The measurement called ``name``; the first one by default (as pyhf)."""
        measurements = self._spec["measurements"]
        if name is None:
            return _copy(measurements[0])
        for measurement in measurements:
            if measurement["name"] == name:
                return _copy(measurement)
        raise InvalidModelError(f"no measurement {name!r}; there are {self.measurement_names}",
                                file=self.file, argument="measurement")

    def digest(self, algorithm: str = "sha256") -> str:
        """Digest of the specification, as patchsets record it (``pyhf.utils.digest``)."""
        return digest(self._spec, algorithm)

    # -- operations ----------------------------------------------------------------------------
    def prune(self, channels: Sequence[str] = (), samples: Sequence[str] = (),
              modifiers: Sequence[str] = (), modifier_types: Sequence[str] = (),
              measurements: Sequence[str] = ()) -> Workspace:
        """A new workspace without the named channels (and their observations), samples,
        modifiers (and their parameter settings), modifier types and measurements."""
        return self._prune_and_rename(channels, samples, modifiers, modifier_types, measurements)

    def rename(self, channels: Mapping[str, str] | None = None, samples: Mapping[str, str] | None = None,
               modifiers: Mapping[str, str] | None = None,
               measurements: Mapping[str, str] | None = None) -> Workspace:
        """A new workspace with names replaced ({old: new}); renaming a channel renames its
        observations, renaming a modifier its parameter settings and the POI."""
        return self._prune_and_rename(rename_channels=channels or {}, rename_samples=samples or {},
                                      rename_modifiers=modifiers or {},
                                      rename_measurements=measurements or {})

    def _prune_and_rename(self, channels=(), samples=(), modifiers=(), modifier_types=(),
                          measurements=(), **renames) -> Workspace:
        spec = prune_and_rename(self._spec, channels, samples, modifiers, modifier_types,
                                measurements, file=self.file, **renames)
        return Workspace(spec, file=self.file)

    def sorted(self) -> Workspace:
        """A new workspace with channels, samples, modifiers (by name, type), measurements,
        parameter settings and observations sorted by name (as pyhf's ``Workspace.sorted``)."""
        spec = self.to_dict()
        spec["channels"].sort(key=lambda c: c["name"])
        for channel in spec["channels"]:
            channel["samples"].sort(key=lambda s: s["name"])
            for sample in channel["samples"]:
                sample["modifiers"].sort(key=lambda m: (m["name"], m["type"]))
        spec["measurements"].sort(key=lambda m: m["name"])
        for measurement in spec["measurements"]:
            measurement["config"]["parameters"].sort(key=lambda p: p["name"])
        spec["observations"].sort(key=lambda o: o["name"])
        return Workspace(spec, file=self.file)

    def combine(self, other: Workspace | Mapping, join: str = "none",
                merge_channels: bool = False) -> Workspace:
        """This workspace combined with ``other``: channels, observations and measurements joined.

        Parameters
        ----------
        other
            The other workspace.
        join
            ``"none"``: no channel, observation or measurement name may be common;
            ``"outer"``: common items must be identical, and measurements of the same name
            (same POI) merge their parameter settings, which must not conflict;
            ``"left outer"`` / ``"right outer"``: for a common name, this (left) or the other
            (right) workspace's item wins.
        merge_channels
            With an outer join: channels of the same name merge their samples (the primary
            side's samples win).
        """
        other = other if isinstance(other, Workspace) else Workspace(other)
        spec = combine_specs(self._spec, other._spec, join, merge_channels)
        return Workspace(spec, file=None)

    def apply_patches(self, patches: Iterable) -> Workspace:
        """A new workspace with JSON patches applied in order to the whole workspace.

        ``patches``: lists of operations, :class:`~.patches.Patch` or jsonpatch.JsonPatch
        objects, JSON paths (members of this workspace's archive where the path is no file).
        Errors name the patch and the operation (index, op, path) that does not apply, or the
        place where the patched workspace is invalid.
        """
        spec, label = apply_patches(self._spec, patches, self.file)
        return Workspace(spec, file=label, validate=label != self.file)

    def model_spec(self, measurement: str | None = None, patches: Iterable = (),
                   unused_parameters: str = "warn") -> tuple[dict, dict]:
        """The patched, checked model specification and its measurement (pyhf's ``Workspace.model``).

        As in pyhf, the patches apply to the model specification ``{"channels": [...],
        "parameters": [...]}`` made of the workspace's channels and the measurement's parameter
        settings; the observations stay those of the workspace.

        Parameters
        ----------
        measurement
            Name of the measurement; the first by default (as pyhf).
        patches
            Applied in order: lists of operations, :class:`~.patches.Patch` objects,
            jsonpatch.JsonPatch objects, or JSON paths (members of this workspace's archive
            where the path is no file).
        unused_parameters
            Settings of parameters the model lacks: "warn" (default), "error" or "ignore".

        Returns
        -------
        (spec, measurement)
            ``{"channels", "parameters"}`` after the patches (sharing its unpatched parts with
            this workspace: read it, do not change it), and the chosen measurement with
            ``config.parameters`` after the patches.

        Raises
        ------
        InvalidModelError
            For a patch that does not apply, a patched model that is invalid, a channel
            without observations, an unknown or multi-component POI, or parameter settings of
            the wrong length.
        """
        chosen = self.measurement(measurement)
        spec = {"channels": self._spec["channels"], "parameters": chosen["config"]["parameters"]}
        spec, label = apply_patches(spec, patches, self.file, share=True)
        if label != self.file:
            n_bins = self._check_patched_model(spec, label, chosen["config"]["parameters"])
        else:
            n_bins = {c["name"]: len(c["samples"][0]["data"]) for c in spec["channels"]}
        check_observations(n_bins, self._spec["observations"], label)
        chosen["config"]["parameters"] = spec.setdefault("parameters", [])
        check_model(spec, chosen, label, unused_parameters)
        return spec, chosen

    def _check_patched_model(self, spec: dict, label: str | None, parameters: list) -> dict[str, int]:
        """Check a patched model specification; returns the number of bins of each channel.

        The samples the patches left equal to this (checked) workspace's are not validated
        against the schema again, nor the measurement's ``parameters`` where the patches left
        them alone: a scan builds one model per signal patch from one background-only workspace,
        and a signal patch adds one sample to each channel. New samples are validated by the fast
        validators of :func:`~.schema.valid_channel` (the schema's verdict; only where they fail
        does :func:`~.schema.validate` locate the fault in the whole model).
        """
        changed = self._changed_samples(spec)
        if changed is None:
            validate_schema(spec, "model", file=label)
            return check_channels(spec["channels"], label)
        doubtful = [c for c in changed if not valid_channel(c)]
        patched_parameters = spec.get("parameters", []) is not parameters
        if doubtful or patched_parameters:
            try:
                validate_schema({"channels": doubtful or changed, "parameters": spec.get("parameters", [])},
                                "model", file=label)
            except InvalidModelError:
                validate_schema(spec, "model", file=label)  # the same fault, located in the whole model
                raise
        channels = spec["channels"]
        original = {c["name"]: c for c in self._spec["channels"]}
        check_patched_channels(channels, original, label)
        names = [c["name"] for c in channels]
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            raise InvalidModelError(f"channel names used more than once: {repeated}", file=label,
                                    channel=repeated[0])
        return {c["name"]: len(c["samples"][0]["data"]) for c in channels}

    def _changed_samples(self, spec: dict) -> list | None:
        """The patched channels, each with only its samples that differ from this workspace's
        (or its first sample, where none differs); None where the patched model is too
        malformed to compare (then all of it is validated)."""
        channels = spec.get("channels")
        if not (isinstance(channels, list) and channels and set(spec) <= {"channels", "parameters"}):
            return None
        original = {c["name"]: c for c in self._spec["channels"]}
        reduced = []
        for channel in channels:
            if not isinstance(channel, Mapping) or not isinstance(channel.get("name"), str):
                return None
            samples = channel.get("samples")
            if channel["name"] not in original or not isinstance(samples, list) or not samples:
                reduced.append(channel)
                continue
            known = {s["name"]: s for s in original[channel["name"]]["samples"]}
            new = [s for s in samples if not isinstance(s, Mapping) or known.get(s.get("name")) != s]
            reduced.append({**channel, "samples": new or samples[:1]})
        return reduced
