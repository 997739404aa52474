"""Seeded tenants: Faker-built directories of any size, and named fixture tenants for scenarios.

``seed_tenant`` draws one integer from the lab's ``entra.seed`` stream and seeds a fresh Faker instance
with it, so the same lab seed builds the same tenant (names, UPNs, titles, managers, memberships, ids)
and a second call on the same lab builds a different, non-colliding batch.

Simulator choices for Faker tenants: user principal names are ``firstname.lastname@<default domain>``
(ASCII-folded, numbered on collision) and ``mail`` equals the UPN; everyone is enabled (fixture tenants
carry the disabled users scenarios need); managers form a tree: the first user heads the company with
one head per department below, everyone else has at most six direct reports in their department; every group is a security group with 3 to 25 direct members, and the
second group is nested in the first.
"""
from __future__ import annotations

import json
import unicodedata
from pathlib import Path
from typing import Any

from faker import Faker

from ...paths import FIXTURES
from .model import Directory, DirectoryError

SEED_STREAM = "entra.seed"
FIXTURE_DIR = FIXTURES / "tenants"
MAX_REPORTS = 6

DEPARTMENTS = {
    "Sales": ("Account Executive", "Sales Representative", "Sales Engineer", "Inside Sales Specialist"),
    "Marketing": ("Marketing Specialist", "Content Strategist", "Product Marketing Manager", "Brand Designer"),
    "Engineering": ("Software Engineer", "Senior Software Engineer", "Site Reliability Engineer",
                    "QA Engineer"),
    "Finance": ("Financial Analyst", "Accountant", "Payroll Specialist", "Controller"),
    "Human Resources": ("HR Generalist", "Recruiter", "People Partner", "Benefits Specialist"),
    "Legal": ("Counsel", "Paralegal", "Compliance Analyst", "Contracts Manager"),
    "Operations": ("Operations Analyst", "Facilities Coordinator", "Procurement Specialist",
                   "Logistics Planner"),
    "Customer Success": ("Customer Success Manager", "Support Engineer", "Onboarding Specialist",
                         "Technical Account Manager"),
    "IT": ("Systems Administrator", "Identity Engineer", "Service Desk Analyst", "Network Engineer"),
}
OFFICES = ("Seattle 1/1105", "Seattle 2/2210", "Redmond 25/1220", "Boston 4/405", "Austin 3/318",
           "Chicago 7/712", "Denver 2/214", "Remote")
CITIES = {"Seattle": ("WA", "98101"), "Redmond": ("WA", "98052"), "Boston": ("MA", "02110"),
          "Austin": ("TX", "78701"), "Chicago": ("IL", "60601"), "Denver": ("CO", "80202")}
GROUP_THEMES = ("Team", "Project", "Committee", "Guild", "Working Group", "Champions")


def _ascii(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(c for c in folded.lower() if c.isalnum())


def _manager_index(index: int) -> int:
    """The root (0) manages one head per department; everyone else manages up to MAX_REPORTS people."""
    heads = len(DEPARTMENTS)
    return 0 if index <= heads else 1 + (index - 1 - heads) // MAX_REPORTS


def _first_report(index: int) -> int:
    """The index of the first person reporting to ``index`` (index >= 1)."""
    return len(DEPARTMENTS) + 1 + MAX_REPORTS * (index - 1)


def seed_tenant(directory: Directory, rand, users: int = 0, groups: int = 0) -> dict:
    """Add ``users`` Faker users and ``groups`` security groups to ``directory``."""
    if users < 0 or groups < 0:
        raise ValueError("users and groups must not be negative")
    fake = Faker("en_US")
    fake.seed_instance(rand.stream(SEED_STREAM).randint(0, 2**31 - 1))
    rng = fake.random
    domain = directory.default_domain
    taken: set[str] = set()
    existing = directory.user_count() > 0
    departments = list(DEPARTMENTS)
    cities = list(CITIES)
    employee_base = rng.randint(100_000, 800_000)
    # Faker's weighted name draws are slow; pools drawn from them keep names realistic and seeding fast.
    pool = max(50, min(users, 2000))
    given_names = [(n, _ascii(n) or "user") for n in (fake.first_name() for _ in range(pool))]
    family_names = [(n, _ascii(n) or "user") for n in (fake.last_name() for _ in range(pool))]

    def phone(prefix: str) -> str:
        return f"{prefix} {rng.randint(0, 9999):04d}"

    bodies: list[dict] = []
    for index in range(users):
        (given, given_ascii), (family, family_ascii) = rng.choice(given_names), rng.choice(family_names)
        stem = f"{given_ascii}.{family_ascii}"
        local, n = stem, 1
        while local in taken or (existing and directory.find_user(f"{local}@{domain}") is not None):
            n += 1
            local = f"{stem}{n}"
        taken.add(local)
        upn = f"{local}@{domain}"
        if index == 0:
            department, title = "Executive", "Chief Executive Officer"
        else:
            manager_index = _manager_index(index)
            department = (departments[index - 1] if manager_index == 0
                          else bodies[manager_index]["department"])
            has_reports = _first_report(index) < users
            title = f"{department} Manager" if has_reports else rng.choice(DEPARTMENTS[department])
        city = rng.choice(cities)
        state, postal = CITIES[city]
        bodies.append({
            "accountEnabled": True,
            "displayName": f"{given} {family}",
            "givenName": given,
            "surname": family,
            "userPrincipalName": upn,
            "mail": upn,
            "mailNickname": local.replace(".", ""),
            "jobTitle": title,
            "department": department,
            "employeeId": str(employee_base + index),
            "mobilePhone": phone("+1 206 555"),
            "businessPhones": [phone("+1 425 555")],
            "officeLocation": rng.choice(OFFICES),
            "city": city,
            "state": state,
            "postalCode": postal,
            "country": "United States",
            "usageLocation": "US",
            "preferredLanguage": "en-US",
            "companyName": "Contoso",
        })
    created = directory.import_users(bodies, [_manager_index(i) if i else None for i in range(users)])

    made_groups = []
    for index in range(groups):
        department = departments[index % len(departments)]
        name = f"{department} {rng.choice(GROUP_THEMES)} {fake.color_name()}"
        nickname = _ascii(name)[:56] + f"{index:03d}"
        group = directory.create_group({
            "displayName": name,
            "description": f"{fake.catch_phrase()}.",
            "mailNickname": nickname,
            "mailEnabled": False,
            "securityEnabled": True,
        })
        if created:
            for member in rng.sample(created, min(len(created), rng.randint(3, 25))):
                directory.add_group_member(group.id, member.id)
        made_groups.append(group)
    if len(made_groups) >= 2:
        directory.add_group_member(made_groups[0].id, made_groups[1].id)
    return {"users": len(created), "groups": len(made_groups), "domain": domain}


def fixture_names(fixture_dir: Path = FIXTURE_DIR) -> list[str]:
    return sorted(p.stem for p in fixture_dir.glob("*.json"))


def load_fixture_tenant(directory: Directory, name: str, fixture_dir: Path = FIXTURE_DIR) -> dict:
    """Load ``fixtures/tenants/<name>.json`` into ``directory``.

    The file lists ``users`` and ``groups``, each with a ``key`` that ``manager`` and ``members`` refer
    to (``members`` may name users and groups: nesting). Unknown names raise ``FileNotFoundError``;
    a fixture that does not fit the directory (an unverified domain, a user principal name already
    taken) raises ``ValueError`` before anything is created. Returns the ids by key.
    """
    if not name or not all(c.isalnum() or c in "-_" for c in name):
        raise FileNotFoundError(f"no fixture tenant named {name!r}")
    path = fixture_dir / f"{name}.json"
    if not path.is_file():
        raise FileNotFoundError(f"no fixture tenant named {name!r}")
    data = json.loads(path.read_text(encoding="utf-8"))
    users: list[dict[str, Any]] = data.get("users", [])
    groups: list[dict[str, Any]] = data.get("groups", [])
    _check_fixture(directory, name, users, groups)

    ids: dict[str, str] = {}
    try:
        for entry in users:
            body = {k: v for k, v in entry.items() if k not in ("key", "manager")}
            ids[entry["key"]] = directory.create_user(body, require_password="passwordProfile" in body).id
        for entry in users:
            if entry.get("manager"):
                directory.set_manager(ids[entry["key"]], ids[entry["manager"]])
        for entry in groups:
            body = {k: v for k, v in entry.items() if k not in ("key", "members")}
            ids[entry["key"]] = directory.create_group(body).id
        for entry in groups:
            for member in entry.get("members", []):
                directory.add_group_member(ids[entry["key"]], ids[member])
    except DirectoryError as exc:
        raise ValueError(f"fixture tenant {name!r} does not load: {exc.message}") from None
    return {"fixture": name, "users": len(users), "groups": len(groups), "ids": ids}


def _check_fixture(directory: Directory, name: str, users: list, groups: list) -> None:
    keys: set[str] = set()
    for entry in [*users, *groups]:
        key = entry.get("key")
        if not isinstance(key, str) or key in keys:
            raise ValueError(f"fixture tenant {name!r}: every user and group needs a unique 'key'")
        keys.add(key)
    for entry in users:
        upn = str(entry.get("userPrincipalName", ""))
        if upn.rpartition("@")[2].lower() not in directory.domains:
            raise ValueError(f"fixture tenant {name!r}: {upn} is not in a verified domain of the tenant "
                             f"({', '.join(directory.domains)})")
        if directory.find_user(upn) is not None:
            raise ValueError(f"fixture tenant {name!r}: a user {upn} already exists (reset the lab first)")
        if entry.get("manager") not in (None, *keys):
            raise ValueError(f"fixture tenant {name!r}: unknown manager {entry['manager']!r}")
    for entry in groups:
        for member in entry.get("members", []):
            if member not in keys:
                raise ValueError(f"fixture tenant {name!r}: unknown member {member!r}")
