"""Every benchmark at a tiny size, so that ``make bench`` cannot rot: the labs start, the tutorial's
set-up and cycles run over HTTP, the mix runs against the lab (and the peer when it is installed), and
the report has one line per goal with a ratio."""
from __future__ import annotations

import json
import math

from bench import peer
from bench.__main__ import run
from bench.report import Goal, markdown


def test_every_benchmark_runs_at_a_tiny_size_and_reports_each_goal(tmp_path):
    goals, table = run("smoke", None, tmp_path)
    names = [g.name for g in goals]
    expected = ["GoToMeeting SCIM mix", "initial cycle", "incremental cycle", "SCIM userName filter",
                "peak RSS", "rehearsal engine alone", "exportConcurrency 2 vs 1", "exportConcurrency 8 vs 1",
                "peak RSS of one rehearsal process", "make bench wall time"] + (["scim2-server"] if peer.installed() else [])
    for fragment in expected:
        assert any(fragment in name for name in names), (fragment, names)
    assert all(math.isfinite(g.ratio) and g.ratio > 0 for g in goals), [(g.name, g.ratio) for g in goals]
    report = json.loads((tmp_path / "bench.json").read_text())
    assert [g["name"] for g in report["goals"]] == names
    assert report["details"]["cycles"]["initial"]["requestsPerUser"] >= 2  # a match and a create per user
    assert report["details"]["cycles"]["initial"]["exported"] == 25
    assert report["details"]["cycles"]["initial"]["cpuMsPerUser"] > 0  # the lab process's CPU was read
    # the ceiling counted each rehearsal-engine cycle's requests: a filter and a create per user, and the
    # group's filter, create and members PATCH
    rehearsal = report["details"]["rehearsal"]
    assert [(c["concurrency"], c["requests"]) for c in rehearsal["cycles"]] == [(k, 2 * 20 + 3) for k in (1, 2, 4, 8)]
    assert rehearsal["memory"]["users"] == 20 and rehearsal["memory"]["initialObjects"] == 20 + 1
    assert rehearsal["memory"]["peakRss"] > 50 * 1024 * 1024
    assert (tmp_path / "bench.md").read_text().endswith(table)
    assert table.count("\n| ") == len(goals)


def test_a_goal_line_says_met_or_not_met():
    lines = markdown([Goal("fast", "1", "2", 0.6, ">= 0.5"), Goal("small", "3", "2", 1.6, "<= 1.5")],
                     {"date": "d", "cpus": 2, "python": "3.11", "commit": "c", "sizes": "s"})
    assert "| 0.600 | >= 0.5 | met |" in lines and "| 1.600 | <= 1.5 | NOT MET |" in lines
    assert Goal("x", "", "", 0.4996, ">= 0.5").shown() == "0.499"
    assert Goal("x", "", "", 1.5004, "<= 1.5").shown() == "1.501"


def test_the_peer_app_serves_the_mix_in_process():
    from werkzeug.test import Client

    from bench import payloads

    app = peer.create_app()
    peer.seed(app, 3, "contoso.example")
    client = Client(app)
    headers = {"Authorization": f"Bearer {peer.TOKEN}"}
    found = client.get("/v2/Users", query_string={"filter": 'userName eq "bench.user2@contoso.example"'},
                       headers=headers).get_json()
    assert found["totalResults"] == 1
    user_id = found["Resources"][0]["id"]
    patched = client.patch(f"/v2/Users/{user_id}", json=payloads.patch_aad_opt(2),
                           headers={**headers, "Content-Type": payloads.SCIM_JSON})
    assert patched.status_code in (200, 204)
    assert client.get(f"/v2/Users/{user_id}", headers=headers).get_json()["displayName"] == "Bench User 2 (aadOpt)"
