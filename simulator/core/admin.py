"""The ``/_admin`` lab-control endpoints common to both fakes: reset, state, seed, clock, journal, faults.

Each app passes its own ``reset``/``state``/``seed`` callbacks and adds its own routes to the returned
blueprint before registering it.
"""
from __future__ import annotations

from typing import Any, Callable

from flask import Blueprint, Response, request

from .errors import LabHTTPError, admin_error, json_response
from .faults import FaultRuleError, FaultSet
from .journal import Journal
from .lab import Lab


def render_admin_error(status: int, message: str, code: str | None, extra: dict) -> Response:
    resp = admin_error(status, message, **({"code": code} if code else {}))
    for k, v in (extra.get("headers") or {}).items():
        resp.headers[k] = v
    return resp


def _int_arg(name: str) -> int | None:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return None
    try:
        return int(raw)
    except ValueError:
        raise LabHTTPError(400, f"query parameter {name} must be an integer") from None


def admin_blueprint(name: str, *, lab: Lab, journal: Journal, faults: FaultSet,
                    reset: Callable[[], None], state: Callable[[], Any],
                    seed: Callable[[dict], Any] | None = None) -> Blueprint:
    from .appbase import read_json

    bp = Blueprint(f"{name}_admin", __name__, url_prefix="/_admin")

    def reset_app() -> None:
        journal.clear()
        faults.clear()
        reset()

    lab.attach(reset_app)

    @bp.post("/reset")
    def _reset():
        """Resets the whole lab: the shared clock and random source, and every app sharing them."""
        body = read_json(allow_empty=True)
        new_seed = body.get("seed")
        if new_seed is not None and (isinstance(new_seed, bool) or not isinstance(new_seed, (int, str))):
            raise LabHTTPError(400, "seed must be an integer or a string")
        lab.reset_all(new_seed)
        return json_response({"reset": True, "seed": lab.seed, "clock": lab.clock.describe()})

    @bp.get("/state")
    def _state():
        return json_response(state())

    if seed is not None:
        @bp.post("/seed")
        def _seed():
            return json_response(seed(read_json(allow_empty=True)), 201)

    @bp.get("/clock")
    def _clock():
        return json_response(lab.clock.describe())

    @bp.post("/clock/advance")
    def _advance():
        body = read_json(allow_empty=True)
        minutes = body.get("minutes", 0)
        seconds = body.get("seconds", 0)
        for label, value in (("minutes", minutes), ("seconds", seconds)):
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                raise LabHTTPError(400, f"{label} must be a non-negative number")
        if minutes > 60 * 24 * 366:
            raise LabHTTPError(400, "minutes must be at most one year")
        lab.clock.advance(minutes=minutes, seconds=seconds)
        return json_response(lab.clock.describe())

    @bp.get("/journal")
    def _journal():
        entries = journal.entries(
            method=request.args.get("method"),
            path_contains=request.args.get("path"),
            status=_int_arg("status"),
            direction=request.args.get("direction"),
            since=_int_arg("since"),
            limit=_int_arg("limit"),
        )
        return json_response({"entries": entries, "count": len(entries), "lastSeq": journal.last_seq()})

    @bp.delete("/journal")
    def _journal_clear():
        journal.clear()
        return Response(status=204)

    @bp.get("/faults")
    def _faults():
        return json_response({"rules": faults.list()})

    @bp.post("/faults")
    def _fault_add():
        try:
            rule = faults.add(read_json())
        except FaultRuleError as exc:
            raise LabHTTPError(400, str(exc)) from None
        return json_response(rule.to_json(), 201)

    @bp.delete("/faults")
    def _faults_clear():
        faults.clear()
        return Response(status=204)

    @bp.delete("/faults/<rule_id>")
    def _fault_delete(rule_id: str):
        if not faults.remove(rule_id):
            raise LabHTTPError(404, f"no fault rule {rule_id}")
        return Response(status=204)

    return bp
