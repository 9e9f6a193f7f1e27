"""Plugin discovery with hand-made entry points: good, broken and incompatible plugins, unknown
names, lazy factories, and the public get_backend on what is installed."""

import sys
import textwrap
from importlib.metadata import EntryPoint

import pytest

import likelihub as lh
from likelihub.errors import PluginError, PluginWarning, UnknownBackendError
from likelihub.registry.plugins import Registry

GROUP = "likelihub.backends"

GOOD_PLUGIN = textwrap.dedent('''
    import likelihub

    @likelihub.hookimpl
    def likelihub_register_backends(register):
        register("toy.counting", "{module}_factories:build", version="1.2.3", author="Tester",
                 references=["arXiv:1007.1727"], core_versions=">=0.1")
        register("toy.eager", lambda: "built eagerly", version="1.2.3")
''')

FACTORIES = textwrap.dedent('''
    from tests.hub.counting import CountingBackend

    def build(n=10.0, s=5.0, b=8.0):
        return CountingBackend(n, s, b)
''')


@pytest.fixture
def plugin_module(tmp_path, monkeypatch):
    """A plugin module whose factory lives in a second module, imported only on use."""
    name = f"fake_plugin_{tmp_path.name}".replace("-", "_")
    (tmp_path / f"{name}.py").write_text(GOOD_PLUGIN.format(module=name))
    (tmp_path / f"{name}_factories.py").write_text(FACTORIES)
    monkeypatch.syspath_prepend(str(tmp_path))
    yield name
    for module in (name, f"{name}_factories"):
        sys.modules.pop(module, None)


def entry_point(name, value):
    return EntryPoint(name=name, value=value, group=GROUP)


def test_registered_backend_builds_a_statistical_model(plugin_module):
    registry = Registry([entry_point("toy", plugin_module)])
    assert f"{plugin_module}_factories" not in sys.modules  # factories are imported on first use
    info = registry.metadata("toy.counting")
    assert (info.version, info.author, info.references, info.plugin) == (
        "1.2.3", "Tester", ("arXiv:1007.1727",), "toy")
    model = registry.get("toy.counting")(n=12.0)
    assert isinstance(model, lh.StatisticalModel)
    assert model.data.tolist() == [12.0]
    assert f"{plugin_module}_factories" in sys.modules


def test_factories_take_fit_options_and_a_name(plugin_module):
    registry = Registry([entry_point("toy", plugin_module)])
    model = registry.get("toy.counting")(n=12.0, fit_options={"method": "scipy"}, name="cms")
    assert model.name == "cms" and model.fit().method == "scipy(L-BFGS-B)"


def test_broken_plugin_is_reported_and_others_still_load(plugin_module):
    with pytest.warns(PluginWarning, match="'broken'.*failed to load.*ModuleNotFoundError"):
        registry = Registry([entry_point("broken", "no_such_module_xyz"),
                             entry_point("toy", plugin_module)])
    assert "toy.counting" in registry.backends
    assert "broken" in registry.failed


def test_incompatible_core_version_is_reported(plugin_module):
    with pytest.warns(PluginWarning, match="supports likelihub core >=0.1, not 0.0.5"):
        registry = Registry([entry_point("toy", plugin_module)], core_version="0.0.5")
    assert registry.backends == {}


def test_unknown_name_lists_installed_backends(plugin_module):
    registry = Registry([entry_point("toy", plugin_module)])
    with pytest.raises(UnknownBackendError, match="installed: toy.counting, toy.eager"):
        registry.get("toy.nothing")


def test_known_but_missing_name_says_what_to_install():
    registry = Registry([])
    with pytest.raises(UnknownBackendError, match="pip install likelihub-simplified"):
        registry.get("simplified.correlated_background")


def test_factory_import_failure_names_the_backend(tmp_path, monkeypatch):
    (tmp_path / "bad_factory_plugin.py").write_text(textwrap.dedent('''
        import likelihub

        @likelihub.hookimpl
        def likelihub_register_backends(register):
            register("toy.missing", "no_such_module_abc:build")
    '''))
    monkeypatch.syspath_prepend(str(tmp_path))
    registry = Registry([entry_point("bad", "bad_factory_plugin")])
    with pytest.raises(PluginError, match="'toy.missing' of plugin 'bad'"):
        registry.get("toy.missing")()
    sys.modules.pop("bad_factory_plugin", None)


def test_duplicate_names_warn_and_the_later_wins(plugin_module, tmp_path):
    copy = f"{plugin_module}_copy"
    (tmp_path / f"{copy}.py").write_text(GOOD_PLUGIN.format(module=plugin_module))
    with pytest.warns(PluginWarning, match="registered by both plugin 'first' and 'second'"):
        registry = Registry([entry_point("first", plugin_module), entry_point("second", copy)])
    assert registry.metadata("toy.counting").plugin == "second"
    sys.modules.pop(copy, None)


def test_public_registry_functions_use_installed_plugins():
    lh.refresh_backends()
    backends = lh.available_backends()
    assert isinstance(backends, dict)
    for name, info in backends.items():
        assert lh.backend_metadata(name) is info
    with pytest.raises(UnknownBackendError):
        lh.get_backend("surely.not.a.backend")
