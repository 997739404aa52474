"""The lab mailbox: the one-time e-mail Entra sends when a provisioning job enters quarantine (or its
quarantine reason changes), readable at ``GET /_admin/notifications`` (SPEC §3.7 Quarantine).

Simulator choice: notifications go to the address in the ``SyncNotificationSettings`` secret
(``{"Enabled": true, "Recipients": "..."}``) when one is set, else to ``admin@<tenant domain>``; the
lab setting ``notificationsEnabled`` turns them off.
"""
from __future__ import annotations

import json
import threading

from ..core.clock import iso


class Notifications:
    def __init__(self, entra):
        self.entra = entra
        self._lock = threading.Lock()
        self._mail: list[dict] = []

    def reset(self) -> None:
        with self._lock:
            self._mail.clear()

    def list(self) -> list[dict]:
        with self._lock:
            return list(self._mail)

    def quarantined(self, sp, job, quarantine) -> None:
        sync = self.entra.sync
        if not sync.settings.get("notificationsEnabled", True):
            return
        recipients = f"admin@{self.entra.config.tenant_domain}"
        raw = sync.secrets(sp.id).get("SyncNotificationSettings")
        if raw:
            try:
                settings = json.loads(raw)
            except ValueError:
                settings = {}
            if isinstance(settings, dict):
                if settings.get("Enabled") in (False, "false", "False"):
                    return
                recipients = settings.get("Recipients") or recipients
        with self._lock:
            self._mail.append({
                "id": self.entra.lab.rand.stream("entra.notifications").uuid(),
                "sentDateTime": iso(self.entra.lab.clock.now()),
                "to": recipients,
                "subject": f"Provisioning for {sp.display_name} is in quarantine",
                "body": (f"The provisioning job {job.id} of {sp.display_name} was placed in quarantine "
                         f"({quarantine.reason}): {quarantine.error_message} The next attempt is at "
                         f"{iso(quarantine.next_attempt)}."),
                "servicePrincipalId": sp.id,
                "jobId": job.id,
                "reason": quarantine.reason,
            })
