"""The lab mailbox (SPEC §3.7 Quarantine): one e-mail when a job enters quarantine and one when the
reason changes, none for repeated attempts; recipients and opt-out from ``SyncNotificationSettings``; the
lab setting ``notificationsEnabled`` turns them off."""
from __future__ import annotations

import json

from steps.failure_steps import mailbox, map_role, person, run_now, scim_job, settings, start, status
from steps.provisioning_steps import graph, sync_path


def _refused_token_job(lab, ctx, **secrets) -> None:
    scim_job(lab, ctx)
    map_role(lab, ctx)
    person(lab, ctx, "B.Simon", role="User")
    pairs = [{"key": "SecretToken", "value": "not-a-token"}]
    pairs += [{"key": k, "value": v} for k, v in secrets.items()]
    graph(lab, ctx).put(sync_path(ctx, "/secrets"), {"value": pairs})
    start(lab, ctx)


def test_one_mail_per_quarantine_not_per_attempt(lab, ctx):
    _refused_token_job(lab, ctx)
    lab.advance_clock(0)
    assert status(lab, ctx)["quarantine"]["reason"] == "EncounteredQuarantineException"
    lab.advance_clock(24 * 60)  # three more failed attempts (6 h, 12 h, 24 h)
    assert status(lab, ctx)["quarantine"]["seriesCount"] == 4
    [mail] = mailbox(lab)
    assert mail["to"] == f"admin@{lab.entra_config.tenant_domain}" and mail["jobId"] == ctx["job_id"]
    assert mail["sentDateTime"] == "2026-01-05T08:00:00Z"
    assert "The next attempt is at 2026-01-05T14:00:00Z" in mail["body"]
    assert "not-a-token" not in json.dumps(mail)


def test_a_new_quarantine_after_a_lift_sends_a_new_mail(lab, ctx):
    _refused_token_job(lab, ctx)
    lab.advance_clock(0)
    graph(lab, ctx).put(sync_path(ctx, "/secrets"), {"value": [{"key": "SecretToken",
                                                                "value": lab.static_scim_token()}]})
    assert run_now(lab, ctx)["state"] == "Succeeded"
    assert status(lab, ctx)["quarantine"] is None
    graph(lab, ctx).put(sync_path(ctx, "/secrets"), {"value": [{"key": "SecretToken", "value": "revoked"}]})
    graph(lab, ctx).patch(f"/users/{ctx['users']['B.Simon']['id']}", {"displayName": "Barbara Simon"})
    run_now(lab, ctx)
    assert [m["reason"] for m in mailbox(lab)] == ["EncounteredQuarantineException"] * 2


def test_recipients_come_from_the_notification_settings(lab, ctx):
    _refused_token_job(lab, ctx, SyncNotificationSettings=json.dumps({"Enabled": True,
                                                                       "Recipients": "ops@contoso.example"}))
    lab.advance_clock(0)
    assert [m["to"] for m in mailbox(lab)] == ["ops@contoso.example"]


def test_notifications_switched_off_in_the_job_or_the_lab(lab, ctx):
    _refused_token_job(lab, ctx, SyncNotificationSettings=json.dumps({"Enabled": False}))
    lab.advance_clock(0)
    assert status(lab, ctx)["code"] == "Quarantine" and mailbox(lab) == []
    graph(lab, ctx).put(sync_path(ctx, "/secrets"), {"value": [{"key": "SyncNotificationSettings", "value": "{}"}]})
    settings(lab, notificationsEnabled=False)
    graph(lab, ctx).post(f"/servicePrincipals/{ctx['sp']['id']}/synchronization/jobs/{ctx['job_id']}/start")
    lab.advance_clock(0)
    assert status(lab, ctx)["code"] == "Quarantine" and mailbox(lab) == []
