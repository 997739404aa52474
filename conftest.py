import pytest

pytest_plugins = [
    "fixtures.live",
    "steps.context",
    "steps.gotomeeting_steps",
    "steps.provisioning_steps",
    "steps.target_steps",
    "steps.failure_steps",
    "steps.graph_steps",
    "steps.sso_steps",
    "fixtures.browser",
    "steps.portal_steps",
    "steps.portal_mappings_steps",
    "steps.portal_apps_steps",
    "steps.portal_gotomeeting_steps",
    "steps.portal_provisioning_steps",
    "steps.portal_logs_steps",
]


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    """Two things for runs on several workers:

    - The browser scenarios (``@ui``) come first, the longest (most steps) first, each followed by one of
      the shortest. pytest-xdist hands tests out in collection order, and the two tutorial walks, the
      longest by far, were collected last: one worker walked both while the other stood idle.
    - ``--dist loadgroup`` (make test) sends the tests of one ``xdist_group`` to one worker by the suffix
      ``@<group>`` a worker puts on their node ids. pytest-xdist sets it on an attribute pytest 9 no longer
      reads, so the groups were lost: a group's tests went to both workers and its module fixture (servers,
      conformance runs, an installed wheel) was made on each. The suffix is put where pytest reads it."""
    items[:] = _browser_scenarios_first(items)
    if not getattr(config.option, "loadgroup", False):  # only an xdist worker of a loadgroup run
        return
    for item in items:
        groups = sorted({str(mark.args[0] if mark.args else mark.kwargs.get("name", "default"))
                         for mark in item.iter_markers("xdist_group")})
        suffix = "@" + "_".join(groups)
        if groups and not item.nodeid.endswith(suffix) and hasattr(item, "_id"):
            item._id = type(item._id).parse(item.nodeid + suffix)


def _browser_scenarios_first(items: list) -> list:
    from fixtures.reporting import scenario_template

    def steps(item) -> int:
        template = scenario_template(item)
        return len(template.steps) if template is not None else 0

    browser = sorted((item for item in items if item.get_closest_marker("ui") is not None), key=steps, reverse=True)
    chosen = set(map(id, browser))
    # pytest-xdist starts each worker on a chunk of consecutive tests (two, here): the longest and the
    # shortest alternate, so that each first chunk holds one of the long walks.
    paired = [item for pair in zip(browser, reversed(browser)) for item in pair][:len(browser)]
    return paired + [item for item in items if id(item) not in chosen]


def _remember_step_lookups() -> None:
    """pytest-bdd finds the definition of every step it runs by asking pytest, for each of the session's
    fixture names (over a thousand here), which definitions the test can see, and keeping the step
    definitions among them whose kind and parser match the step: about 2.5 ms a step, a quarter of the
    Gherkin suite's time. The step definitions a test can see depend only on its module (step definitions
    are registered by modules and conftests, never by a single test) and on the definitions registered so
    far, so that list is made once per fixture manager, module and registry size; each step is then only
    matched against it, in the same order as before."""
    import importlib
    import weakref

    from pytest_bdd.compat import get_fixture_names, getfixturedefs
    from pytest_bdd.steps import step_function_context_registry

    bdd_scenario = importlib.import_module("pytest_bdd.scenario")  # the module, not the function of that name
    if getattr(bdd_scenario.find_fixturedefs_for_step, "remembers", False):
        return
    visible: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    def step_definitions(fixturemanager, node) -> list:
        known = visible.setdefault(fixturemanager, {})
        key = (node.nodeid.rsplit("::", 1)[0], len(step_function_context_registry))
        found = known.get(key)
        if found is None:
            found = known[key] = [
                (fixturedef, context)
                for name in get_fixture_names(fixturemanager=fixturemanager)
                for fixturedef in getfixturedefs(fixturemanager, name, node) or []
                if (context := step_function_context_registry.get(fixturedef.func)) is not None]
        return found

    def find_fixturedefs_for_step(step, fixturemanager, node):
        for fixturedef, context in step_definitions(fixturemanager, node):
            if (context.type is None or context.type == step.type) and context.parser.is_matching(step.name):
                yield fixturedef

    find_fixturedefs_for_step.remembers = True
    bdd_scenario.find_fixturedefs_for_step = find_fixturedefs_for_step


_remember_step_lookups()
