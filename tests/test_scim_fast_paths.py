"""GoToMeeting's fast paths for what Entra sends per user (issue 7) answer exactly what the general
path answers: a plain create (``service.plain_user_document``) and an exact filter query
(``service.exact_lookup``).

Two labs with the same seed serve the same requests, one with the fast paths and one with them
switched off; every answer (status, headers, body bytes), the stored JSON of every user and the
account's state must be the same, for accepted and rejected requests alike.
"""
from __future__ import annotations

import copy
import json
import random

import pytest

from simulator.core.lab import Lab
from simulator.gotomeeting.app import create_app
from simulator.gotomeeting.scim import service as scim_service
from simulator.gotomeeting.state import GoToMeetingConfig

CORE = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
SCIM_JSON = "application/scim+json"
DOMAIN = "contoso.example"


#: The two labs of the module (made once: a test resets them through /_admin/reset, as a new lab would start).
_LABS: dict = {}


def _lab(label: str):
    if label not in _LABS:
        app = create_app(GoToMeetingConfig(verified_domains=[DOMAIN]), Lab(seed=11))
        _LABS[label] = (app.test_client(), app.extensions["gotomeeting"])
    return _LABS[label]


class Twin:
    """The same lab twice: ``fast`` with the fast paths, ``general`` without them."""

    def __init__(self, monkeypatch, seats: int = 100000):
        self.monkeypatch = monkeypatch
        self.clients = {}
        self.gotos = {}
        for label in ("fast", "general"):
            client, goto = _lab(label)
            client.environ_base.pop("HTTP_AUTHORIZATION", None)
            assert client.post("/_admin/reset").status_code == 200
            client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {goto.oauth.issue_static_token().value}"
            assert client.put("/_admin/seats", json={"total": seats}).status_code == 200
            self.clients[label], self.gotos[label] = client, goto
        self.taken = {"create": 0, "search": 0}
        plain, exact = scim_service.plain_user_document, scim_service.exact_lookup

        def counted_plain(body):
            found = plain(body)
            self.taken["create"] += found is not None
            return found

        def counted_exact(query):
            found = exact(query)
            self.taken["search"] += found is not None
            return found

        self.paths = {"fast": (counted_plain, counted_exact), "general": (lambda body: None, lambda query: None)}

    def both(self, method: str, *args, **kwargs) -> tuple:
        answers = []
        for label in ("fast", "general"):
            with self.monkeypatch.context() as patch:
                patch.setattr(scim_service, "plain_user_document", self.paths[label][0])
                patch.setattr(scim_service, "exact_lookup", self.paths[label][1])
                resp = getattr(self.clients[label], method)(*args, **kwargs)
            answers.append((resp.status_code, sorted(resp.headers.items()), resp.data))
        assert answers[0] == answers[1], (args, kwargs)
        return answers[0]

    def post_user(self, body) -> tuple:
        return self.both("post", "/scim/v2/Users", data=json.dumps(body),
                         headers={"Content-Type": SCIM_JSON})

    def query(self, **params) -> tuple:
        return self.both("get", "/scim/v2/Users", query_string=params)

    def assert_same_state(self) -> None:
        fast, general = (self.gotos[label].account for label in ("fast", "general"))
        assert fast.to_state() == general.to_state()
        assert [(u.stored_json, u.created, u.modified) for u in fast.users.values()] == \
            [(u.stored_json, u.created, u.modified) for u in general.users.values()]
        assert fast._users_by_name == general._users_by_name
        assert fast._users_by_external == general._users_by_external


@pytest.fixture
def twin(monkeypatch):
    return Twin(monkeypatch)


def entra_create(n: int, rand: random.Random) -> dict:
    """An Entra create body in one of the two dialects, with optional attributes left out at random."""
    name = f"user{n}@{rand.choice([DOMAIN, DOMAIN.upper(), 'other.example'])}"
    legacy = rand.random() < 0.5
    body = {
        "schemas": [CORE, ENTERPRISE] if rand.random() < 0.8 else [CORE],
        "externalId": f"user{n}",
        "userName": name,
        "active": rand.choice([True, False, "True", "False", "true"]) if legacy else rand.choice([True, False]),
        "displayName": f"User {n}",
        "name": {"givenName": "Given", "familyName": f"Family {n}", "formatted": f"Given Family {n}",
                 "middleName": "M", "honorificPrefix": "Dr", "honorificSuffix": "Jr"},
        "emails": [{"primary": rand.choice([True, "True", False]), "type": rand.choice(["work", "home", "other"]),
                    "value": name}],
        "title": "Account Executive",
        "preferredLanguage": "en-US",
        "nickName": f"u{n}",
        "userType": "Employee",
        "roles": [{"primary": rand.choice([True, "True", "False"]), "type": "WindowsAzureActiveDirectoryRole",
                   "value": rand.choice(["organizer", "manager", "Organizer", "Admin"])}],
        ENTERPRISE: {"department": "Sales", "employeeNumber": str(n), "costCenter": "C1", "division": "D",
                     "organization": "Contoso"},
        "meta": {"resourceType": "User"},
    }
    for key in ("externalId", "active", "displayName", "name", "emails", "title", "preferredLanguage",
                "nickName", "userType", "roles", ENTERPRISE, "meta"):
        if rand.random() < 0.15:
            del body[key]
    for key in ("name", ENTERPRISE):
        if key in body:
            for sub in list(body[key]):
                if rand.random() < 0.3:
                    del body[key][sub]
    for key in ("emails", "roles"):
        if key in body and rand.random() < 0.2:
            body[key][0].pop(rand.choice(["primary", "type"]))
    return body


#: Changes to an Entra body that the fast path must refuse or reproduce: (attribute, value); None deletes.
ODD_VALUES = [
    ("userName", None), ("userName", ""), ("userName", 5), ("userName", "not-an-email"), ("userName", "a b@contoso.example"),
    ("userName", "x" * 130 + "@contoso.example"), ("userName", " user@contoso.example"),
    ("userName", "zoë.\u00e9@contoso.example"), ("userName", "tab\t@contoso.example"),
    ("displayName", "Zoë \u4e2d \"q\" \\ / \u2028 \x7f"), ("displayName", ""), ("displayName", None),
    ("displayName", 12), ("displayName", ["x"]), ("title", "\u00a0x"), ("title", "  padded  "),
    ("active", "yes"), ("active", 1), ("active", "FALSE"), ("active", None), ("active", "False"),
    ("externalId", ""), ("externalId", 7),
    ("name", {}), ("name", {"givenName": "G" * 61}), ("name", {"familyName": "F" * 61}), ("name", "Given"),
    ("name", {"givenName": "G", "unknown": "x"}), ("name", {"givenName": None}), ("name", {"givenName": ""}),
    ("emails", []), ("emails", [{}]), ("emails", [{"value": "a@b", "type": "Work", "primary": True}]),
    ("emails", [{"value": "a@b", "type": "custom"}]), ("emails", [{"value": "a@b", "primary": "yes"}]),
    ("emails", [{"value": "a@b", "primary": True}, {"value": "c@b", "primary": True}]),
    ("emails", [{"value": "a@b", "primary": True}, {"value": "c@b", "type": "home"}]),
    ("emails", [{"type": "work"}]), ("emails", {"value": "a@b"}), ("emails", [{"value": "a@b", "display": "A"}]),
    ("roles", []), ("roles", [{"value": "guest", "primary": True}]), ("roles", [{"value": "", "primary": True}]),
    ("roles", [{"primary": True}]), ("roles", [{"value": "manager", "display": ""}]),
    ("roles", [{"value": "manager", "display": "Manager", "primary": 1}]),
    ("roles", [{"primary": False, "type": "WindowsAzureActiveDirectoryRole", "displayName": "Admin", "value": "Admin"},
               {"primary": False, "type": "WindowsAzureActiveDirectoryRole", "displayName": "User", "value": "User"}]),
    ("roles", [{"value": "organizer", "primary": False}, {"value": "manager", "primary": True}]),
    (ENTERPRISE, {}), (ENTERPRISE, {"manager": {"value": "26118915-6090-4610-87e4-49d8ca9f808d"}}),
    (ENTERPRISE, {"manager": "26118915-6090-4610-87e4-49d8ca9f808d", "department": "R"}),
    (ENTERPRISE, {"department": 3}), (ENTERPRISE, "Sales"),
    ("schemas", None), ("schemas", []), ("schemas", [ENTERPRISE]), ("schemas", [ENTERPRISE, CORE]),
    ("schemas", [CORE, CORE]), ("schemas", [CORE.upper()]), ("schemas", "x"),
    ("schemas", [CORE, "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/User"]),
    ("meta", {"resourceType": "Group"}), ("meta", "User"), ("meta", {}),
    ("id", "c0ffee"), ("password", "hunter2"), ("username", "lower@contoso.example"), ("groups", [{"value": "x"}]),
    ("phoneNumbers", [{"type": "work", "value": "+1 425 555 0100"}]),
    ("urn:ietf:params:scim:schemas:extension:goto:2.0:User", {"status": "active"}),
]


def test_entra_creates_give_the_same_users_and_answers(twin):
    rand = random.Random(7)
    for n in range(300):
        twin.post_user(entra_create(n, rand))
    bodies = [entra_create(n, random.Random(n)) for n in range(20)]
    for body in bodies:  # again: 409 for the accepted ones
        twin.post_user(body)
    twin.assert_same_state()
    assert twin.taken["create"] > 250


@pytest.mark.parametrize("attribute, value", ODD_VALUES)
def test_odd_creates_answer_as_scim2_models_does(twin, attribute, value):
    body = entra_create(1000, random.Random(1))
    body.update({"userName": f"odd@{DOMAIN}", "active": True, "roles": [{"value": "organizer", "primary": True}],
                 "schemas": [CORE, ENTERPRISE], ENTERPRISE: {"department": "Sales"}})
    if value is None:
        body.pop(attribute, None)
    else:
        body[attribute] = copy.deepcopy(value)
    twin.post_user(body)
    twin.post_user(body)
    twin.assert_same_state()


def test_creates_under_the_quirks_and_without_seats(monkeypatch):
    twin = Twin(monkeypatch, seats=3)
    for quirks in ({"case_sensitive_username": True}, {"reject_string_booleans": True},
                   {"json_content_type": True}):
        for label in ("fast", "general"):
            twin.gotos[label].quirks.set(quirks)
        for n in range(4):
            body = entra_create(n, random.Random(n))
            body.update({"userName": f"Quirk{n}@{DOMAIN}", "active": "True", "roles": [{"value": "organizer"}]})
            twin.post_user(body)
            twin.post_user({**body, "userName": f"quirk{n}@{DOMAIN}"})
    twin.assert_same_state()
    assert twin.taken["create"] > 0


def test_exact_queries_answer_as_the_parsed_filter(twin):
    rand = random.Random(3)
    for n in range(12):
        body = entra_create(n, rand)
        body.update({"userName": f"user{n}@{DOMAIN}", "externalId": f"ext{n % 5}", "active": True,
                     "roles": [{"value": "organizer", "primary": True}]})
        assert twin.post_user(body)[0] == 201
    ids = [u.id for u in twin.gotos["fast"].account.users.values()]
    group = {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "G",
             "members": [{"value": ids[-1]}]}
    twin.both("post", "/scim/v2/Groups", data=json.dumps(group), headers={"Content-Type": SCIM_JSON})
    filters = [
        f'userName eq "user3@{DOMAIN}"', f'USERNAME eq "USER3@{DOMAIN.upper()}"', f'userName EQ "user3@{DOMAIN}"',
        'userName eq "nobody@contoso.example"', 'externalId eq "ext1"', 'externalid eq "EXT1"',
        f'id eq "{ids[-1]}"', f'id eq "{ids[-1].upper()}"', 'id eq ""', 'userName eq ""',
        f'userName  eq "user3@{DOMAIN}"', f'userName eq "user3@{DOMAIN}" ', f'userName eq "user3\\u0040{DOMAIN}"',
        f'userName eq "user3@{DOMAIN}" and active eq true', 'displayName eq "User 3"', 'userName sw "user1"',
        'userName eq 3', 'userName eq', 'title eq "x"', 'emails eq "x"', 'userName eq "zoë \u4e2d"',
        f'{CORE}:userName eq "user3@{DOMAIN}"', 'userName eq "tab\there"', 'userName eq "a"b"',
    ]
    pages = [{}, {"startIndex": "1"}, {"startIndex": "2"}, {"count": "0"}, {"count": "1"}, {"startIndex": "2", "count": "1"},
             {"count": "500"}, {"startIndex": "0"}, {"count": "-1"}, {"startIndex": "01"}, {"startIndex": "x"},
             {"attributes": "userName"}, {"excludedAttributes": "emails"}, {"sortBy": "userName"}]
    for quirks in ({}, {"empty_filter_404": True}, {"case_sensitive_username": True}):
        for label in ("fast", "general"):
            twin.gotos[label].quirks.set({"empty_filter_404": False, "case_sensitive_username": False, **quirks})
        for text in filters:
            for page in pages:
                twin.query(filter=text, **page)
        twin.both("post", "/scim/v2/Users/.search", data=json.dumps({"filter": filters[0], "count": 1}),
                  headers={"Content-Type": SCIM_JSON})
        twin.both("post", "/scim/v2/Users/.search", data=json.dumps({"filter": filters[0], "startIndex": "1"}),
                  headers={"Content-Type": SCIM_JSON})
    twin.query(filter=f'userName eq "user11@{DOMAIN}"')  # the member of the group, with its groups
    assert twin.taken["search"] > 200


@pytest.mark.parametrize("values", [
    {"accountKey": "1234567890", "status": "active", "products": ["G2M"]},
    {"accountKey": "1234567890", "status": "suspended", "products": []},
    {"accountKey": None, "status": "active", "products": ["G2M", "G2W"]},
])
def test_goto_extension_is_dumped_once_per_combination_as_scim2_models_dumps_it(values):
    from scim2_models import Context

    from simulator.gotomeeting.scim import views
    from simulator.gotomeeting.scim.resources import GoToUserExtension

    direct = GoToUserExtension.model_validate(values)
    nested = direct.model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE)
    nested.pop("schemas", None)
    for _ in range(2):  # built, then cached
        cached = views._extension(values["accountKey"], values["status"], tuple(values["products"]))
        assert cached == direct
        assert json.loads(views._nested_extension(direct.account_key, direct.status, tuple(direct.products))) == nested
