"""The peer: ``scim2-server`` (python-scim's in-memory SCIM server, a bench-only dependency) in its own
process, for the same request mix as the fake GoToMeeting.

Its WSGI application is built as its ``scim2-server`` command builds it (default schemas, resource
types and configuration, in-memory storage with its equality index, one static bearer token) and served
by the lab's own server stack (``LiveServer`` on cheroot), so that the comparison is between the two
applications and not between HTTP servers (the command's ``wsgiref`` server answers HTTP/1.0 without
keep-alive). The stored users are created before it listens, through its own ``POST /Users``
in-process.

Run as ``python -m bench.peer --describe FILE --users N --domain D`` (the bench starts it itself).
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import threading

from . import payloads
from .procs import ServerProcess, python_module

TOKEN = "bench-peer-token"
PREFIX = "/v2"


def installed() -> bool:
    try:
        import scim2_server  # noqa: F401
    except ModuleNotFoundError:
        return False
    return True


def version() -> str:
    from importlib.metadata import version as package_version

    return package_version("scim2-server")


def create_app():
    from scim2_models import ScimProvider
    from scim2_server.memory import InMemoryStorage
    from scim2_server.service import ScimService
    from scim2_server.testserver.application import BEARER_TOKEN_SCHEME, BearerTokenApplication
    from scim2_server.utils import (load_default_resource_types, load_default_schemas,
                                    load_default_service_provider_config)

    config = load_default_service_provider_config()
    config.authentication_schemes = [*(config.authentication_schemes or []), BEARER_TOKEN_SCHEME]
    provider = ScimProvider.from_discovery(load_default_schemas().values(),
                                           load_default_resource_types().values(), config=config)
    service = ScimService(provider, secret="bench-peer-cursor-secret")
    return BearerTokenApplication(InMemoryStorage(), provider, service=service, bearer_tokens=[TOKEN])


def seed(app, users: int, domain: str) -> None:
    from werkzeug.test import Client

    client = Client(app)
    headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": payloads.SCIM_JSON}
    for n in range(users):
        resp = client.post(f"{PREFIX}/Users", data=json.dumps(payloads.create_user(n, domain)), headers=headers)
        if resp.status_code != 201:
            raise RuntimeError(f"the peer refused a stored user: {resp.status_code} {resp.get_data(as_text=True)}")


def serve(describe: str, users: int, domain: str) -> None:
    from simulator.core.server import LiveServer

    app = create_app()
    seed(app, users, domain)
    server = LiveServer(app, name="peer").start()
    with open(describe + ".tmp", "w") as fh:
        json.dump({"url": server.url, "scimUrl": f"{server.url}{PREFIX}", "token": TOKEN}, fh)
    os.replace(describe + ".tmp", describe)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    stop.wait()
    server.stop()


def launch(users: int, domain: str) -> ServerProcess:
    """The peer's process, started: it stores its ``users`` and then listens (``wait_ready``)."""
    return ServerProcess(python_module("bench.peer", "--describe", "{describe}", "--users", str(users),
                                       "--domain", domain), name="peer", ready_timeout=600).launch()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--describe", required=True)
    parser.add_argument("--users", type=int, default=0)
    parser.add_argument("--domain", default="contoso.example")
    args = parser.parse_args()
    serve(args.describe, args.users, args.domain)


if __name__ == "__main__":
    main()
