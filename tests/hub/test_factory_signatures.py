"""The factories of ``lh.get_backend``: real keyword signatures, numpydoc docstrings, and an unknown
keyword refused with the list of valid ones (issue 17, "APIs and docs that answer").

Every backend of the bundled plugins is checked; the doctests of the factories' docstrings run
(their numbers are closed forms or parameter names, stated in the docstrings).
"""

from __future__ import annotations

import doctest
import importlib
import inspect
import sys
import textwrap
from importlib.metadata import EntryPoint

import pytest

import likelihub as lh
from likelihub.errors import InvalidArgumentError
from likelihub.registry.factories import documented_parameters
from likelihub.registry.plugins import Registry

#: The entry points (plugins) of this repository that register likelihub backends. spey-bridge
#: registers spey backends (group ``spey.backend.plugins``), none of likelihub's.
BUNDLED = {"histfactory", "simplified", "combiner", "combine", "hs3", "onnx"}
BACKENDS = sorted(name for name, info in lh.available_backends().items() if info.plugin in BUNDLED)
SECTIONS = ("Parameters", "Returns", "Raises", "Examples")


def test_every_bundled_plugin_registers_backends():
    assert {lh.backend_metadata(name).plugin for name in BACKENDS} == BUNDLED


@pytest.mark.parametrize("backend", BACKENDS)
def test_signature_is_the_plugin_factorys_plus_fit_options_and_name(backend):
    factory = lh.get_backend(backend)
    parameters = inspect.signature(factory).parameters
    kinds = {p.kind for p in parameters.values()}
    assert inspect.Parameter.VAR_KEYWORD not in kinds and inspect.Parameter.VAR_POSITIONAL not in kinds
    for core in ("fit_options", "name"):
        assert parameters[core].kind is inspect.Parameter.KEYWORD_ONLY and parameters[core].default is None
    own = inspect.signature(lh.backend_metadata(backend).load_factory()).parameters
    assert [p for p in parameters if p not in ("fit_options", "name")] == [
        p for p in own if p not in ("fit_options", "name")]
    assert len(parameters) > 2
    assert inspect.signature(factory).return_annotation is lh.StatisticalModel


@pytest.mark.parametrize("backend", BACKENDS)
def test_docstring_is_numpydoc_and_names_every_parameter(backend):
    factory = lh.get_backend(backend)
    doc = factory.__doc__
    for section in SECTIONS:
        assert f"\n{section}\n{'-' * len(section)}\n" in doc, (backend, section)
    documented = documented_parameters(doc)
    missing = [p for p in inspect.signature(factory).parameters if p not in documented]
    assert not missing, f"{backend}: parameters not in the docstring's Parameters section: {missing}"
    assert len(documented) == len(set(documented)), f"{backend}: a parameter documented twice"
    assert "Parameters" in (inspect.getdoc(factory) or "") and factory.__name__ == backend.replace(".", "_")


@pytest.mark.parametrize("backend", BACKENDS)
def test_an_unknown_keyword_names_itself_the_backend_and_the_valid_ones(backend):
    factory = lh.get_backend(backend)
    valid = [p for p in inspect.signature(factory).parameters]
    with pytest.raises(InvalidArgumentError) as caught:
        factory(no_such_keyword_here=1)  # refused before any argument is looked at
    error = caught.value
    assert error.location == {"argument": "no_such_keyword_here"}
    assert repr(backend) in str(error) and ", ".join(valid) in str(error)


@pytest.mark.parametrize(("backend", "wrong", "right"), [
    ("simplified.third_moment_expansion", "third_moments", "third_moment"),
    ("simplified.correlated_background", "covariance", "covariance_matrix"),
    ("histfactory", "patch", "patches"),
    ("combine.datacard", "freeze_parameters", "freeze"),
    ("combine.datacard", "freezeParameters", "freeze"),
    ("combiner.uncorrelated", "model", "models"),
])
def test_a_misspelt_keyword_gets_the_close_match(backend, wrong, right):
    with pytest.raises(InvalidArgumentError, match=f"takes no keyword '{wrong}'; did you mean '{right}'"):
        lh.get_backend(backend)(**{wrong: 1})


def test_a_missing_argument_is_named():
    factory = lh.get_backend("simplified.poisson")
    with pytest.raises(InvalidArgumentError, match="argument 'data': backend 'simplified.poisson': "
                                                   "missing a required argument: 'data'"):
        factory(signal_yields=[1.0], background_yields=[2.0])
    with pytest.raises(InvalidArgumentError, match="argument 'fit_options': must be a mapping"):
        factory(signal_yields=[1.0], background_yields=[2.0], data=[3], fit_options=["scipy"])


def test_fit_options_and_name_still_apply():
    model = lh.get_backend("simplified.poisson")(signal_yields=[5.0], background_yields=[10.0], data=[12],
                                                  fit_options={"method": "scipy"}, name="cms")
    assert model.name == "cms" and model.fit().method.startswith("scipy")


THIRD_PARTY = textwrap.dedent('''
    import likelihub

    def build(n, *, s=5.0, **options):
        """A counting model.

        Parameters
        ----------
        n
            Observed count.
        s
            Signal.
        """
        from tests.hub.counting import CountingBackend
        return CountingBackend(n, s, options.get("b", 8.0))

    @likelihub.hookimpl
    def likelihub_register_backends(register):
        register("toy.loose", build)
''')


def test_a_third_party_factory_with_kwargs_keeps_them(tmp_path, monkeypatch):
    (tmp_path / "loose_plugin_xyz.py").write_text(THIRD_PARTY)
    monkeypatch.syspath_prepend(str(tmp_path))
    try:
        factory = Registry([EntryPoint("toy", "loose_plugin_xyz", "likelihub.backends")]).get("toy.loose")
        signature = str(inspect.signature(factory))
        assert signature.startswith("(n, *, s=5.0, fit_options=None, name=None, **options)")
        assert factory(12.0, b=7.0, name="x").name == "x"  # **options pass through unchecked
        assert documented_parameters(factory.__doc__) == ["n", "s", "fit_options", "name"]
    finally:
        sys.modules.pop("loose_plugin_xyz", None)


DOCTEST_MODULES = ["likelihub.registry.plugins", "likelihub_simplified.factories",
                   "likelihub_combiner.backend", "likelihub_combiner.correlated",
                   "likelihub_histfactory.factory"]


@pytest.mark.parametrize("module", DOCTEST_MODULES)
def test_the_factories_examples_run(module):
    result = doctest.testmod(importlib.import_module(module), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0 and result.attempted > 0
