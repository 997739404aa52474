pytest_plugins = [
    "fixtures.live",
]
