"""HistFactory XML + ROOT histograms to a pyhf JSON workspace, as ``pyhf xml2json`` (pyhf 0.7.6).

    spec = read_xml("config/FitConfig.xml", basedir=".")           # a checked workspace dict

The top-level file is a ``<Combination>``: its ``<Input>`` elements name the channel files and
its ``<Measurement>`` elements (``Lumi``, ``LumiRelErr``, ``<POI>``, ``<ParamSetting>``) become the
workspace's measurements. A ``<Channel>`` file holds ``<Data>`` (the observations) and
``<Sample>`` elements with their modifiers: ``NormFactor`` (normfactor, its ``Val``/``Low``/``High``
and ``Const`` the parameter's settings), ``OverallSys`` (normsys), ``HistoSys`` (histosys),
``StatError`` (staterror ``staterror_<channel>``: the sample histogram's errors, or its contents
times a relative-error histogram), ``ShapeSys`` (shapesys: contents times the relative errors),
``ShapeFactor`` (shapefactor), and ``NormalizeByTheory="True"`` (the lumi modifier). Histograms
are read by :class:`.readxml_root.HistogramFiles`; file names are relative to ``basedir`` (after
``mounts``), as pyhf's. The output equals pyhf's (same keys, order and numbers).

What pyhf JSON cannot hold is left out as pyhf does, with a warning (:class:`XMLWarning`):
``<ConstraintTerm>`` (Gamma or LogNormal constraints), a ``StatErrorConfig`` or ``ShapeSys``
constraint other than pyhf's (Gaussian, Poisson), other modifier tags (``HistoFactor``, ...).
Errors are :class:`~likelihub.errors.InvalidModelError` naming the file and the element.
"""

from __future__ import annotations

import re
import warnings
import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence
from os import PathLike
from pathlib import Path
from typing import NoReturn

import numpy as np

from likelihub.errors import InvalidModelError

from .readxml_root import HistogramFiles

__all__ = ["read_xml", "resolver", "XMLWarning"]


class XMLWarning(UserWarning):
    """Something of the XML that a pyhf JSON workspace cannot hold was left out."""


def resolver(basedir: str | PathLike, mounts: Sequence[tuple] = ()) -> Callable[[str], Path]:
    """Where a file named in the XML is: ``basedir / name``, after the first mount
    ``(local, written)`` whose ``written`` path is ``name`` or a parent of it became ``local``."""
    root = Path(basedir)
    pairs = [(Path(local), Path(written)) for local, written in mounts]

    def resolve(filename: str) -> Path:
        path = Path(filename)
        for local, written in pairs:
            if written == path or written in path.parents:
                path = local.joinpath(path.relative_to(written))
                break
        return root.joinpath(path)

    return resolve


def _describe(element: ET.Element) -> str:
    name = element.attrib.get("Name")
    return f"<{element.tag} Name={name!r}>" if name is not None else f"<{element.tag}>"


class _Reader:
    """The state of one conversion: how file names resolve, the ROOT files, the file being read."""

    def __init__(self, resolve: Callable[[str], Path], files: HistogramFiles, progress: bool):
        self.resolve = resolve
        self.files = files
        self.progress = progress
        self.where: dict = {}

    def fail(self, element: ET.Element | None, message: str) -> NoReturn:
        prefix = f"element {_describe(element)}: " if element is not None else ""
        raise InvalidModelError(prefix + message, **self.where)

    def attribute(self, element: ET.Element, key: str) -> str:
        if key not in element.attrib:
            self.fail(element, f"attribute {key!r} is required")
        return element.attrib[key]

    def number(self, element: ET.Element, key: str) -> float:
        text = self.attribute(element, key)
        try:
            return float(text)
        except ValueError:
            self.fail(element, f"attribute {key}={text!r} is not a number")

    def parse(self, path: Path, label: str, tag: str, hint: str = "") -> ET.Element:
        self.where = {"file": label}
        if not path.is_file():
            self.fail(None, f"no such file ({path}{hint})")
        try:
            root = ET.parse(path).getroot()
        except ET.ParseError as error:
            self.fail(None, f"not well-formed XML: {error}")
        except OSError as error:
            self.fail(None, f"cannot be read: {error.strerror or error}")
        if root.tag != tag:
            self.fail(None, f"the top-level element is <{root.tag}>, not <{tag}>")
        return root

    def histogram(self, element: ET.Element, filename: str, histopath: str | None, name: str):
        where = dict(self.where)
        if element.tag not in ("Sample", "Data") and "Name" in element.attrib:
            where["modifier"] = element.attrib["Name"]
        try:
            return self.files.read(filename, histopath, name, where)
        except InvalidModelError as error:
            raise InvalidModelError(f"element {_describe(element)}: {error.reason}", **where) from None

    def relative(self, element: ET.Element, filename: str, name: str, data: list) -> list[float]:
        """A histogram of relative errors (``HistoPath`` or none), as many bins as the sample's."""
        values = self.histogram(element, filename, element.attrib.get("HistoPath", ""), name)[0]
        if len(values) != len(data):
            self.fail(element, f"the histogram {name!r} has {len(values)} bins, the sample {len(data)}")
        return values

    # -- channels ------------------------------------------------------------------------------
    def channel(self, label: str, entry: str) -> tuple[str, list, list, list]:
        root = self.parse(self.resolve(label), label, "Channel",
                          f"; an <Input> of {entry}, relative to the base directory, --basedir")
        name = self.attribute(root, "Name")
        self.where = {"file": label, "channel": name}
        inputfile = root.attrib.get("InputFile", "")
        histopath = root.attrib.get("HistoPath", "")
        for config in root.findall("StatErrorConfig"):
            kind = config.attrib.get("ConstraintType", "Gaussian")
            if kind != "Gaussian":
                warnings.warn(f"{label}: channel {name!r}: StatErrorConfig ConstraintType={kind!r} is not "
                              "kept: staterror constraints of pyhf JSON are Gaussian", XMLWarning,
                              stacklevel=2)
        data = root.findall("Data")
        if not data:
            self.fail(root, "has no <Data> element (a workspace needs observations, as in pyhf)")
        observed = self.data(data[0], inputfile, histopath)
        samples, parameters = [], []
        elements = root.findall("Sample")
        if self.progress:
            import tqdm

            elements = tqdm.tqdm(elements, unit="sample", desc=f"  channel {name}", leave=False)
        for element in elements:
            sample, sample_parameters = self.sample(element, inputfile, histopath, name)
            samples.append(sample)
            origin = f"{label}, channel {name!r}, sample {sample['name']!r}"
            parameters.extend((setting, origin) for setting in sample_parameters)
        return name, observed, samples, parameters

    def data(self, element: ET.Element, inputfile: str, histopath: str) -> list[float]:
        inputfile = element.attrib.get("InputFile", inputfile)
        histopath = element.attrib.get("HistoPath", histopath)
        histoname = element.attrib.get("HistoName", "")
        if inputfile == "" or histoname == "":
            self.fail(element, "needs InputFile and HistoName (a workspace without observed data "
                               "cannot be converted, as in pyhf)")
        return self.histogram(element, inputfile, histopath, histoname)[0]

    def sample(self, element: ET.Element, inputfile: str, histopath: str, channel: str) -> tuple[dict, list]:
        name = self.attribute(element, "Name")
        self.where = {**self.where, "sample": name}
        inputfile = element.attrib.get("InputFile", inputfile)
        histopath = element.attrib.get("HistoPath", histopath)
        data, errors = self.histogram(element, inputfile, histopath, self.attribute(element, "HistoName"))
        modifiers, parameters = [], []
        if element.attrib.get("NormalizeByTheory", "False") == "True":
            modifiers.append({"name": "lumi", "type": "lumi", "data": None})
        for tag in element.iter():
            if tag is element:
                continue
            modifier = self.modifier(tag, inputfile, data, errors, channel, parameters)
            if modifier is not None:
                modifiers.append(modifier)
        self.where = {k: v for k, v in self.where.items() if k != "sample"}
        return {"name": name, "data": data, "modifiers": modifiers}, parameters

    def modifier(self, tag: ET.Element, inputfile: str, data: list, errors: list, channel: str,
                 parameters: list) -> dict | None:
        kind = tag.tag
        if kind == "OverallSys":
            return {"name": self.attribute(tag, "Name"), "type": "normsys",
                    "data": {"lo": self.number(tag, "Low"), "hi": self.number(tag, "High")}}
        if kind == "NormFactor":
            name = self.attribute(tag, "Name")
            setting = {"name": name, "bounds": [[self.number(tag, "Low"), self.number(tag, "High")]],
                       "inits": [self.number(tag, "Val")]}
            if tag.attrib.get("Const"):
                setting["fixed"] = tag.attrib["Const"] == "True"
            parameters.append(setting)
            return {"name": name, "type": "normfactor", "data": None}
        if kind == "HistoSys":
            lo = self.histogram(tag, tag.attrib.get("HistoFileLow", inputfile),
                                tag.attrib.get("HistoPathLow", ""), self.attribute(tag, "HistoNameLow"))[0]
            hi = self.histogram(tag, tag.attrib.get("HistoFileHigh", inputfile),
                                tag.attrib.get("HistoPathHigh", ""), self.attribute(tag, "HistoNameHigh"))[0]
            return {"name": self.attribute(tag, "Name"), "type": "histosys",
                    "data": {"lo_data": lo, "hi_data": hi}}
        if kind == "StatError" and self.attribute(tag, "Activate") == "True":
            if tag.attrib.get("HistoName", "") == "":
                staterror = errors
            else:
                relative = self.relative(tag, tag.attrib.get("HistoFile", inputfile), tag.attrib["HistoName"],
                                         data)
                staterror = np.multiply(relative, data).tolist()
            if not staterror:
                self.fail(tag, "cannot determine the statistical errors (empty histogram)")
            return {"name": f"staterror_{channel}", "type": "staterror", "data": staterror}
        if kind == "ShapeSys":
            name = self.attribute(tag, "Name")
            constraint = tag.attrib.get("ConstraintType", "Poisson")
            if constraint != "Poisson":
                warnings.warn(f"{self.where['file']}: shapesys {name!r} has ConstraintType={constraint!r}: "
                              "not kept, shapesys constraints of pyhf JSON are Poisson", XMLWarning,
                              stacklevel=2)
            relative = self.relative(tag, tag.attrib.get("InputFile", inputfile),
                                     self.attribute(tag, "HistoName"), data)
            absolute = [a * b for a, b in zip(data, relative, strict=True)]  # as pyhf: relative to absolute
            return {"name": name, "type": "shapesys", "data": absolute}
        if kind == "ShapeFactor":
            return {"name": self.attribute(tag, "Name"), "type": "shapefactor", "data": None}
        active = "" if kind != "StatError" else " (Activate is not True)"
        warnings.warn(f"{self.where['file']}: sample {self.where.get('sample')!r}: modifier element "
                      f"{_describe(tag)} is not considered{active}", XMLWarning, stacklevel=2)
        return None

    # -- measurements --------------------------------------------------------------------------
    def measurements(self, root: ET.Element, label: str, settings: list) -> list[dict]:
        self.where = {"file": label}
        results = []
        for element in root.findall("Measurement"):
            table = {s["name"]: dict(s) for s in settings}
            lumi = self.number(element, "Lumi")
            lumi_error = lumi * self.number(element, "LumiRelErr")
            name = self.attribute(element, "Name")
            poi = element.find("POI")
            if poi is None:
                self.fail(element, "has no <POI> element")
            lumi_setting = {"name": "lumi", "auxdata": [lumi],
                            "bounds": [[lumi - 5.0 * lumi_error, lumi + 5.0 * lumi_error]],
                            "inits": [lumi], "sigmas": [lumi_error]}
            for setting in element.findall("ParamSetting"):
                common = {}
                if setting.attrib.get("Const"):
                    common["fixed"] = setting.attrib["Const"] == "True"
                if setting.attrib.get("Val"):
                    common["inits"] = [self.number(setting, "Val")]
                for rootname in (setting.text or "").split():
                    parameter = self._parameter_name(setting, rootname)
                    if parameter == "lumi":
                        lumi_setting.update(common)
                    else:
                        entry = table.pop(parameter, {"name": parameter})
                        entry.update(common)
                        table[parameter] = entry
            for term in element.findall("ConstraintTerm"):
                warnings.warn(f"{label}: measurement {name!r}: <ConstraintTerm Type="
                              f"{term.attrib.get('Type')!r}> for {' '.join((term.text or '').split())!r} "
                              "is not kept (pyhf JSON has Gaussian constraints for these)", XMLWarning,
                              stacklevel=2)
            results.append({"name": name, "config": {"poi": poi.text.strip() if poi.text else "",
                                                     "parameters": [lumi_setting, *table.values()]}})
        return results

    def _parameter_name(self, element: ET.Element, rootname: str) -> str:
        """The pyhf parameter of a ROOT parameter name (``alpha_X`` -> ``X``, ``Lumi`` -> ``lumi``);
        ``gamma_X_N`` (one bin of a multi-bin parameter) cannot be set, as in pyhf."""
        if rootname.startswith("gamma_"):
            self.fail(element, f"{rootname!r}: parameters of several bins (gammas) cannot be set "
                               "by ParamSetting (as in pyhf)")
        if rootname == "Lumi":
            return "lumi"
        match = re.fullmatch(r"alpha_(.+)", rootname)
        return match.group(1) if match else rootname


def _unique_settings(settings: list, label: str) -> list:
    """NormFactor settings of each parameter (from ``(setting, origin)`` pairs), which must agree
    where several samples have it."""
    by_name: dict[str, tuple] = {}
    for setting, origin in settings:
        first, first_origin = by_name.setdefault(setting["name"], (setting, origin))
        if first != setting:
            raise InvalidModelError(f"NormFactor {setting['name']!r} is set differently in two samples: "
                                    f"{first} ({first_origin}) and {setting} ({origin})", file=label)
    return [setting for setting, _ in by_name.values()]


def read_xml(entry: str | PathLike, *, basedir: str | PathLike | None = None, mounts: Sequence[tuple] = (),
             track_progress: bool = False, on_invalid: str = "error") -> dict:
    """A pyhf JSON workspace from a HistFactory ``<Combination>`` XML file and its channels.

    Parameters
    ----------
    entry
        The top-level XML file.
    basedir
        Folder that file names in the XML (channel files, ROOT files) are relative to; the
        current directory by default (as pyhf).
    mounts
        ``(local, written)`` path pairs: a name under ``written`` is read from under ``local``.
    track_progress
        Show progress bars (tqdm, on standard error) over channels and samples.
    on_invalid
        ``"error"`` (default): raise where the workspace is invalid (schema, checks);
        ``"warn"``: warn and return it.

    Returns
    -------
    dict
        The workspace (``channels``, ``measurements``, ``observations``, ``version``).

    Raises
    ------
    InvalidModelError
        Naming the file and element: a file missing or not well-formed, a required attribute
        missing, a histogram missing, conflicting NormFactor settings, an invalid workspace.
    ModuleNotFoundError
        Where uproot is not installed.
    """
    if on_invalid not in ("error", "warn"):
        raise ValueError(f"on_invalid must be 'error' or 'warn', not {on_invalid!r}")
    resolve = resolver(Path.cwd() if basedir is None else basedir, mounts)
    label = str(entry)
    with HistogramFiles(resolve) as files:
        reader = _Reader(resolve, files, track_progress)
        top = reader.parse(Path(entry), label, "Combination")
        inputs = [element.text.strip() for element in top.findall("Input") if element.text]
        if not inputs:
            reader.fail(top, "has no <Input> element naming a channel file")
        if track_progress:
            import tqdm

            inputs = tqdm.tqdm(inputs, unit="channel", desc="channels")
        channels, observations, settings = [], [], []
        for name in inputs:
            channel, data, samples, parameters = reader.channel(name, label)
            channels.append({"name": channel, "samples": samples})
            observations.append({"name": channel, "data": data})
            settings.extend(parameters)
        measurements = reader.measurements(top, label, _unique_settings(settings, label))
    if not measurements:
        raise InvalidModelError("no <Measurement> element: a workspace needs one", file=label)
    spec = {"measurements": measurements, "channels": channels, "observations": observations,
            "version": "1.0.0"}
    from .workspace import Workspace

    try:
        Workspace(spec, file=label, validate=True)
    except InvalidModelError as error:
        if on_invalid == "error":
            raise
        warnings.warn(f"the workspace is invalid: {error}", XMLWarning, stacklevel=2)
    return spec
