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
    """``--dist loadgroup`` (make test) sends the tests of one ``xdist_group`` to one worker by the suffix
    ``@<group>`` a worker puts on their node ids. pytest-xdist sets it on an attribute pytest 9 no longer
    reads, so the groups were lost: a group's tests went to both workers and its module fixture (servers,
    conformance runs, an installed wheel) was made on each. The suffix is put where pytest reads it."""
    if not getattr(config.option, "loadgroup", False):  # only an xdist worker of a loadgroup run
        return
    for item in items:
        groups = sorted({str(mark.args[0] if mark.args else mark.kwargs.get("name", "default"))
                         for mark in item.iter_markers("xdist_group")})
        suffix = "@" + "_".join(groups)
        if groups and not item.nodeid.endswith(suffix) and hasattr(item, "_id"):
            item._id = type(item._id).parse(item.nodeid + suffix)
