"""``python -m simulator serve``: both fakes in one process, sharing one clock and one seeded random source.

Entra is wired to GoToMeeting (the GoToMeeting template's default BaseAddress and OAuth URIs point at the
fake GoToMeeting) and GoToMeeting knows Entra as an OAuth client whose redirect URI is Entra's
``/portal/TokenAuthorize``. ``--describe FILE`` writes the running lab's description as JSON (SPEC §5).

Simulator choices: the description's SCIM token stays valid across ``POST /_admin/reset`` (it is issued
again after every reset; a reset with another seed issues another token). With ``--tls`` the lab setting
``targetCaBundle`` defaults to the lab's CA bundle, so that Entra trusts the fake GoToMeeting it talks
to. The description adds ``tenantDomain``, ``clock`` and ``seed`` to SPEC §5's keys.
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import tempfile
import threading
from dataclasses import dataclass, field

from .core.clock import VirtualClock
from .core.errors import LabHTTPError
from .core.lab import Lab
from .core.server import LiveServer
from .core.tls import TLSFiles, make_tls


def add_serve_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="interface to listen on (default 127.0.0.1)")
    parser.add_argument("--entra-port", type=int, default=8410, help="fake Entra ID port (default 8410; 0 = any)")
    parser.add_argument("--gotomeeting-port", type=int, default=8420,
                        help="fake GoToMeeting port (default 8420; 0 = any)")
    parser.add_argument("--seed", default="1234", help="seed for every id, token and Faker value")
    parser.add_argument("--users", type=_non_negative, default=25, help="Faker users in the tenant")
    parser.add_argument("--groups", type=_non_negative, default=5, help="Faker groups in the tenant")
    parser.add_argument("--fixture", default=None, help="a named fixture tenant instead of Faker users")
    parser.add_argument("--tls", action="store_true", help="serve HTTPS with a locally generated CA")
    parser.add_argument("--tls-dir", default=None, help="where to write the CA bundle and certificates")
    parser.add_argument("--clock", choices=("manual", "real"), default="manual",
                        help="manual: time moves only through /_admin/clock/advance; real: it runs")
    parser.add_argument("--time-scale", type=_positive, default=1.0,
                        help="with --clock real: virtual seconds per wall second (60 = a minute a second)")
    parser.add_argument("--describe", metavar="FILE", default=None,
                        help="write the lab's description (URLs, logins, secrets) as JSON to FILE")


def _non_negative(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError("must be 0 or more")
    return value


def _positive(text: str) -> float:
    value = float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError("must be positive")
    return value


def _seed_value(text: str) -> int | str:
    return int(text) if text.lstrip("-").isdigit() else text


@dataclass
class RunningLab:
    lab: Lab
    entra: LiveServer
    gotomeeting: LiveServer
    entra_state: object
    gotomeeting_state: object
    tls: TLSFiles | None
    scim_token: str
    servers: list = field(default_factory=list)

    def describe(self) -> dict:
        entra_cfg = self.entra_state.config
        goto_cfg = self.gotomeeting_state.config
        admin_client = entra_cfg.admin_client
        return {
            "entra": {
                "baseUrl": self.entra.url,
                "tenantId": entra_cfg.tenant_id,
                "tenantDomain": entra_cfg.tenant_domain,
                "authority": f"{self.entra.url}/{entra_cfg.tenant_id}",
                "graphUrl": f"{self.entra.url}/v1.0",
                "clientId": admin_client.client_id,
                "clientSecret": admin_client.client_secret,
                "portalUrl": f"{self.entra.url}/portal/",
                "portalAdmin": {"userPrincipalName": entra_cfg.portal_admin_upn,
                                "password": entra_cfg.portal_admin_password},
            },
            "gotomeeting": {
                "baseUrl": self.gotomeeting.url,
                "scimUrl": f"{self.gotomeeting.url}/scim/v2",
                "adminCenterUrl": f"{self.gotomeeting.url}/admin-center/",
                "admin": {"email": goto_cfg.admin.email, "password": goto_cfg.admin.password},
                "member": {"email": goto_cfg.member.email, "password": goto_cfg.member.password},
                "scimToken": self.scim_token,
            },
            "caBundle": self.tls.ca_bundle if self.tls else None,
            "clock": self.lab.clock.describe(),
            "seed": self.lab.seed,
        }

    def stop(self) -> None:
        for server in (self.entra, self.gotomeeting):
            server.stop()


def start_lab(args: argparse.Namespace) -> RunningLab:
    from .entra.app import create_app as create_entra
    from .entra.state import EntraConfig
    from .gotomeeting.app import create_app as create_gotomeeting
    from .gotomeeting.state import GoToMeetingConfig

    lab = Lab(seed=_seed_value(str(args.seed)),
              clock=VirtualClock(mode=args.clock, time_scale=args.time_scale))
    tls = None
    if args.tls:
        tls = make_tls(args.tls_dir or tempfile.mkdtemp(prefix="entra-lab-tls-"), [args.host])

    entra_config = EntraConfig(users=args.users, groups=args.groups, fixture=args.fixture, portal_admin=True)
    goto_config = GoToMeetingConfig(verified_domains=[entra_config.tenant_domain])
    goto_app = create_gotomeeting(goto_config, lab)
    entra_app = create_entra(entra_config, lab)
    goto_server = LiveServer(goto_app, args.host, args.gotomeeting_port, tls=tls, name="gotomeeting").start()
    try:
        entra_server = LiveServer(entra_app, args.host, args.entra_port, tls=tls, name="entra").start()
    except BaseException:
        goto_server.stop()  # its threads would keep a failed process alive
        raise
    connect(entra_app, goto_app, entra_server.url, goto_server.url)
    entra = entra_app.extensions["entra"]
    goto = goto_app.extensions["gotomeeting"]

    def prepare() -> str:
        """What serve adds to a freshly reset lab: with TLS, Entra's outbound calls (Authorize, Test
        Connection, cycles) trust the lab's CA; and the static SCIM token of the description. A reset
        rewinds the seeded streams, so the token issued after it is the described one again."""
        if tls is not None:
            entra.sync.update_settings({"targetCaBundle": tls.ca_bundle})
            goto.sso.ca_bundle = tls.ca_bundle  # GoTo reads Entra's federation metadata URL over HTTPS
        return goto.oauth.issue_static_token().value

    token = prepare()
    lab.attach(prepare)
    return RunningLab(lab, entra_server, goto_server, entra, goto, tls, token)


def connect(entra_app, goto_app, entra_url: str, goto_url: str) -> None:
    """Tell each fake where the other one listens (ports are known only once the servers are bound)."""
    entra = entra_app.extensions["entra"]
    goto = goto_app.extensions["gotomeeting"]
    entra.config.gotomeeting_url = goto_url
    client = goto.config.clients[0]
    goto.oauth.register_client(client.client_id, [f"{entra_url}/portal/TokenAuthorize"], client.client_secret)
    entra.config.gotomeeting_client_id = client.client_id
    entra.config.gotomeeting_client_secret = client.client_secret


def serve(args: argparse.Namespace) -> int:
    # Handlers first: a SIGTERM that arrives while the lab starts (or right after the description is
    # written) still ends in a clean stop with exit code 0.
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    try:
        running = start_lab(args)
    except LabHTTPError as exc:  # an option the lab cannot honour, such as an unknown --fixture
        print(f"python -m simulator serve: error: {exc.message}", file=sys.stderr)
        return 2
    except OSError as exc:  # a port in use, an address not on this host, an unwritable --tls-dir
        print(f"python -m simulator serve: cannot start the lab: {exc}", file=sys.stderr)
        return 1
    description = running.describe()
    if args.describe:
        tmp = f"{args.describe}.tmp"
        with open(tmp, "w") as fh:
            json.dump(description, fh, indent=2)
        os.replace(tmp, args.describe)
    e, g = description["entra"], description["gotomeeting"]
    print(f"Entra ID     {e['baseUrl']}  tenant {e['tenantId']} ({e['tenantDomain']})", flush=True)
    print(f"  Graph      {e['graphUrl']}   authority {e['authority']}")
    print(f"  client     {e['clientId']} / secret {e['clientSecret']}")
    print(f"  portal     {e['portalUrl']}  admin {e['portalAdmin']['userPrincipalName']} / "
          f"{e['portalAdmin']['password']}")
    print(f"GoToMeeting  {g['baseUrl']}   SCIM {g['scimUrl']}")
    print(f"  Admin Center {g['adminCenterUrl']}")
    print(f"  admin      {g['admin']['email']} / {g['admin']['password']}")
    print(f"  member     {g['member']['email']} / {g['member']['password']}")
    print(f"  SCIM token {g['scimToken']}")
    if description["caBundle"]:
        print(f"CA bundle    {description['caBundle']}")
    print(f"Clock        {args.clock}" + (f" x{args.time_scale}" if args.clock == "real" else "")
          + f"  seed {running.lab.seed}", flush=True)
    stop.wait()
    running.stop()
    return 0
