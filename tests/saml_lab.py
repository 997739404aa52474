"""An in-process SSO lab for the SAML tests: both fakes as Flask apps on one ``Lab`` (one clock, one
seeded source), driven with Flask test clients; GoToMeeting answers at ``http://goto.test``.

``SamlLab`` sets up what the tutorial does: the GoToMeeting app from the gallery with SAML selected,
B.Simon in the tenant (assigned Organizer) and in GoTo (as provisioning would have created her), and GoTo
trusting Entra's downloaded certificate.
"""
from __future__ import annotations

import base64

from simulator.core.lab import Lab
from simulator.entra.app import create_app as create_entra
from simulator.entra.auth import mint_token
from simulator.gotomeeting.app import create_app as create_goto

GOTO = "http://goto.test"
ACS = f"{GOTO}/saml/acs"
TEMPLATE = "a3c6f2b4-1d5e-4c7a-9b8e-6f0d2c4e8a17"
ORGANIZER = "5c8e3f21-7a4b-4d96-b0e2-91f4a6c3d8e5"
DEFAULT_ACCESS = "b9632174-c057-4f7e-951b-be3adc52bfe6"
PASSWORD = "Lab-Passw0rd!2026"
UPN = "b.simon@contoso.example"


class SamlLab:
    def __init__(self, seed: int = 1234, *, provision: bool = True):
        self.lab = Lab(seed=seed)
        self.goto_app = create_goto({"verified_domains": ["contoso.example"]}, self.lab)
        self.entra_app = create_entra({"gotomeeting_url": GOTO}, self.lab)
        self.entra = self.entra_app.extensions["entra"]
        self.goto = self.goto_app.extensions["gotomeeting"]
        self.e = self.entra_app.test_client()
        self.g = self.goto_app.test_client()
        self.set_up(provision)

    def set_up(self, provision: bool = True) -> None:
        token = mint_token(self.entra, self.entra.config.admin_client, "http://localhost")
        self.graph_headers = {"Authorization": f"Bearer {token}"}
        self.goto_token = self.goto.oauth.issue_static_token(self.goto.config.admin.email).value
        created = self.graph("POST", f"/applicationTemplates/{TEMPLATE}/instantiate", {"displayName": "GoToMeeting"})
        self.sp = created.get_json()["servicePrincipal"]
        self.application = created.get_json()["application"]
        assert self.graph("PATCH", f"/servicePrincipals/{self.sp['id']}",
                          {"preferredSingleSignOnMode": "saml"}).status_code == 204
        self.user = self.add_user("B.Simon", UPN)
        self.assign(self.user["id"], ORGANIZER)
        if provision:
            self.provision(UPN)
        self.trust_entra()

    @property
    def tenant(self) -> str:
        return self.entra.config.tenant_id

    def graph(self, method: str, path: str, body=None):
        return self.e.open(f"/v1.0{path}", method=method, json=body, headers=self.graph_headers)

    def goto_admin(self, method: str, suffix: str = "", body=None, **kw):
        key = self.goto.account.account_key
        return self.g.open(f"/admin/rest/v1/accounts/{key}/identityProvider{suffix}", method=method, json=body,
                           headers={"Authorization": f"Bearer {self.goto_token}"}, **kw)

    def add_user(self, name: str, upn: str, *, enabled: bool = True) -> dict:
        body = {"accountEnabled": enabled, "displayName": name, "mailNickname": upn.split("@")[0].replace(".", ""),
                "userPrincipalName": upn, "mail": upn, "givenName": name.split(".")[0], "surname": "Simon",
                "passwordProfile": {"password": PASSWORD}}
        resp = self.graph("POST", "/users", body)
        assert resp.status_code == 201, resp.get_data(as_text=True)
        return resp.get_json()

    def assign(self, user_id: str, role_id: str) -> None:
        resp = self.graph("POST", f"/servicePrincipals/{self.sp['id']}/appRoleAssignedTo",
                          {"principalId": user_id, "resourceId": self.sp["id"], "appRoleId": role_id})
        assert resp.status_code == 201, resp.get_data(as_text=True)

    def provision(self, upn: str, role: str = "organizer") -> None:
        """The GoTo user Entra's provisioning would create (through GoTo's SCIM API)."""
        resp = self.g.post("/scim/v2/Users", json={
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": upn, "active": True,
            "name": {"givenName": "B.", "familyName": "Simon"},
            "emails": [{"value": upn, "type": "work", "primary": True}],
            "roles": [{"value": role, "primary": True}]}, headers={"Authorization": f"Bearer {self.goto_token}"})
        assert resp.status_code == 201, resp.get_data(as_text=True)

    def certificate_pem(self, thumbprint: str | None = None) -> str:
        query = f"?thumbprint={thumbprint}" if thumbprint else ""
        resp = self.e.get(f"/portal/servicePrincipals/{self.sp['id']}/singleSignOn/certificate{query}")
        assert resp.status_code == 200
        return resp.get_data(as_text=True)

    def trust_entra(self) -> None:
        resp = self.goto_admin("PUT", body={
            "mode": "manual", "signInUrl": f"http://localhost/{self.tenant}/saml2",
            "entityId": f"https://sts.windows.net/{self.tenant}/", "certificates": [self.certificate_pem()]})
        assert resp.status_code == 200, resp.get_data(as_text=True)

    def set_signing_option(self, option: str) -> None:
        resp = self.e.patch(f"/portal/servicePrincipals/{self.sp['id']}/singleSignOn", json={"signingOption": option})
        assert resp.status_code == 200, resp.get_data(as_text=True)

    def issue(self, **kw) -> bytes:
        """A fresh signed SAMLResponse for B.Simon (IdP-initiated unless ``in_response_to``), as XML."""
        directory_user = self.entra.directory.get_user(self.user["id"])
        post = self.entra.sso.issue(self.sp["id"], directory_user, **kw)
        return base64.b64decode(post.saml_response)

    def consume(self, xml: bytes, relay_state: str | None = None):
        """GoTo's ACS decision on ``xml`` (the model: ``SignIn`` or ``AcsRefusal``)."""
        return self.goto.sso.consume(base64.b64encode(xml).decode(), relay_state, ACS)

    def post_acs(self, xml: bytes, **form):
        data = {"SAMLResponse": base64.b64encode(xml).decode(), **form}
        return self.g.post("/saml/acs", base_url=GOTO, data=data)


_BUILT: dict[int, SamlLab] = {}


def fresh(seed: int = 1234, *, provision: bool = True) -> SamlLab:
    """A ``SamlLab`` in its initial state: built once per seed and process, then reset (the lab's
    ``reset_all``: clock, random streams, both fakes) and set up again, which is much cheaper than
    building the Flask apps for every test."""
    saml = _BUILT.get(seed)
    if saml is None:
        saml = _BUILT[seed] = SamlLab(seed, provision=provision)
        return saml
    saml.lab.reset_all()
    saml.set_up(provision)
    return saml
