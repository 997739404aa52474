"""The ceiling: a bare Flask endpoint served exactly as the lab is served (``LiveServer`` on cheroot,
in its own process), called with the same ``requests`` client as every other benchmark.

``GET /x`` answers a SCIM-sized body; ``POST /x`` reads one and answers it. Whatever the lab does on
top of this (routing to SCIM, validation, account rules, journal, rendering) is what its ratio to the
ceiling measures.

Under ``/scim`` it is also the barest SCIM server Entra's engine can provision (the load rehearsal's
benchmarks): ``GET /Users`` and ``GET /Groups`` answer an empty ListResponse to any filter, ``POST`` reads
the body and answers 201 with a new id, ``PATCH`` answers 204, ``DELETE`` 204; nothing is stored, and no
token is checked. ``GET /_count`` is the number of SCIM requests it answered.

Run as ``python -m bench.ceiling --describe FILE`` to serve (the bench starts it itself).
"""
from __future__ import annotations

import argparse
import json
import signal
import threading
import time

from .payloads import CEILING_BODY, SCIM_JSON
from .procs import ServerProcess, python_module, session


#: The empty ListResponse the SCIM routes answer to every query.
EMPTY_LIST = json.dumps({"schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"], "totalResults": 0,
                         "startIndex": 1, "itemsPerPage": 0, "Resources": []}, separators=(",", ":")).encode()


def create_app():
    from flask import Flask, Response, request

    app = Flask("ceiling")
    count = [0]
    lock = threading.Lock()

    def counted() -> int:
        with lock:
            count[0] += 1
            return count[0]

    @app.get("/scim/<any(Users, Groups):kind>")
    def scim_query(kind):
        counted()
        return Response(EMPTY_LIST, content_type=SCIM_JSON)

    @app.post("/scim/<any(Users, Groups):kind>")
    def scim_create(kind):
        number = counted()
        request.get_data()
        body = b'{"id":"%d"}' % number
        return Response(body, status=201, content_type=SCIM_JSON)

    @app.route("/scim/<any(Users, Groups):kind>/<resource_id>", methods=["PATCH", "DELETE"])
    def scim_change(kind, resource_id):
        counted()
        request.get_data()
        return Response(status=204)

    @app.get("/_count")
    def scim_count():
        return Response(b'{"count":%d}' % count[0], content_type="application/json")

    @app.get("/x")
    def read():
        return Response(CEILING_BODY, content_type=SCIM_JSON)

    @app.post("/x")
    def write():
        request.get_data()
        return Response(CEILING_BODY, status=201, content_type=SCIM_JSON)

    return app


def serve(describe: str) -> None:
    from simulator.core.server import LiveServer

    server = LiveServer(create_app(), name="ceiling").start()
    with open(describe + ".tmp", "w") as fh:
        json.dump({"url": server.url}, fh)
    import os

    os.replace(describe + ".tmp", describe)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    stop.wait()
    server.stop()


def rate(call, seconds: float, *, warmup: int = 50) -> float:
    """Calls per second of ``call(i)`` run back to back for about ``seconds``."""
    for i in range(warmup):
        call(i)
    done, began = 0, time.perf_counter()
    deadline = began + seconds
    while True:
        for _ in range(25):
            call(done)
            done += 1
        now = time.perf_counter()
        if now >= deadline:
            return done / (now - began)


def measure(url: str, seconds: float) -> dict:
    """Requests per second of GET and of POST against the ceiling at ``url``."""
    s = session()
    headers = {"Content-Type": SCIM_JSON, "Accept": SCIM_JSON}

    def get(_):
        resp = s.get(f"{url}/x", headers=headers)
        assert resp.status_code == 200

    def post(_):
        resp = s.post(f"{url}/x", data=CEILING_BODY, headers=headers)
        assert resp.status_code == 201

    result = {"get_rps": rate(get, seconds), "post_rps": rate(post, seconds)}
    s.close()
    return result


def scim_rate(url: str, seconds: float) -> float:
    """Requests per second of what an initial cycle sends per user (a userName filter, then a create),
    back to back against the ceiling's SCIM routes at ``url``."""
    s = session()
    headers = {"Content-Type": SCIM_JSON, "Accept": SCIM_JSON, "Authorization": "Bearer ceiling"}

    def user(i):
        if i % 2 == 0:
            resp = s.get(f"{url}/scim/Users", params={"filter": f'userName eq "bench.user{i}@contoso.example"'},
                         headers=headers)
            assert resp.status_code == 200
        else:
            resp = s.post(f"{url}/scim/Users", data=CEILING_BODY, headers=headers)
            assert resp.status_code == 201

    result = rate(user, seconds)
    s.close()
    return result


def start() -> ServerProcess:
    return ServerProcess(python_module("bench.ceiling", "--describe", "{describe}"), name="ceiling").start()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--describe", required=True)
    serve(parser.parse_args().describe)


if __name__ == "__main__":
    main()
