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
    "steps.portal_gotomeeting_steps",
    "steps.portal_provisioning_steps",
]
