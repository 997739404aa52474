"""The OData query options of Graph collections: the $filter grammar, $select, $top, $orderby, $count and
skip-token paging (simulator/entra/odata.py)."""
from __future__ import annotations

import pytest

from simulator.entra.odata import (BOOLEAN, DATETIME, STRING_COLLECTION, EntityType, InvalidTokenError, ODataError,
                                   Prop, TokenSigner, default_getter, paginate, parse_filter, parse_query)

THING = EntityType(
    name="microsoft.graph.thing", resource="Thing", entity_set="things",
    props=(Prop("id"), Prop("displayName", sortable=True), Prop("mail"), Prop("enabled", BOOLEAN),
           Prop("room", filterable=False), Prop("phones", STRING_COLLECTION, filterable=False),
           Prop("created", DATETIME), Prop("notes")),
    default_select=("displayName", "id"),
)

ROWS = [
    {"id": "1", "displayName": "Adele Vance", "mail": "adele@contoso.example", "enabled": True,
     "created": "2026-01-01T10:00:00Z", "notes": "north"},
    {"id": "2", "displayName": "Alex Wilber", "mail": None, "enabled": False,
     "created": "2026-01-03T10:00:00.500Z", "notes": None},
    {"id": "3", "displayName": "O'Brien", "mail": "obrien@contoso.example", "enabled": True,
     "created": "2026-01-05T10:00:00Z", "notes": "notable"},
]


def ids(text: str) -> list[str]:
    predicate = parse_filter(text, THING)
    return [row["id"] for row in ROWS if predicate(row, default_getter)]


def error(text: str) -> ODataError:
    with pytest.raises(ODataError) as caught:
        parse_filter(text, THING)
    return caught.value


# -- $filter: what it accepts ------------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("displayName eq 'adele vance'", ["1"]),            # Graph compares strings case-insensitively
    ("displayName ne 'Adele Vance'", ["2", "3"]),
    ("startswith(displayName,'al')", ["2"]),
    ("startsWith(displayName, 'A')", ["1", "2"]),
    ("enabled eq true", ["1", "3"]),
    ("enabled", ["1", "3"]),
    ("not enabled", ["2"]),
    ("not(startswith(displayName,'A'))", ["3"]),
    ("mail eq null", ["2"]),
    ("mail ne null", ["1", "3"]),
    ("displayName eq 'O''Brien'", ["3"]),                 # '' escapes a quote
    ("enabled eq true and startswith(displayName,'a') or id eq '2'", ["1", "2"]),
    ("enabled eq true and (startswith(displayName,'o') or id eq '2')", ["3"]),
    ("notes eq 'notable'", ["3"]),                        # a property whose name starts with "not"
    ("DisplayName EQ 'ALEX WILBER'", ["2"]),              # names and keywords case-insensitive
    ("created ge 2026-01-03T10:00:00Z", ["2", "3"]),
    ("created lt 2026-01-03T10:00:00.500Z", ["1"]),
    ("'3' eq id", ["3"]),
    ("  displayName   eq   'Adele Vance'  ", ["1"]),
    ("(" * 400 + "id eq '2'" + ")" * 400, ["2"]),
])
def test_filter_selects_the_matching_rows(text, expected):
    assert ids(text) == expected


# -- $filter: what it refuses, in Graph's words ----------------------------------------------------

def test_unterminated_string_literal():
    exc = error("displayName eq 'abc")
    assert (exc.status, exc.code) == (400, "BadRequest")
    assert exc.message == ("Invalid filter clause: There is an unterminated string literal at position 19 "
                           "in 'displayName eq 'abc'.")


def test_unknown_function():
    exc = error("contains(displayName,'a')")
    assert exc.code == "BadRequest"
    assert exc.message.startswith("Invalid filter clause: An unknown function with name 'contains' was found.")


def test_unknown_property():
    exc = error("foo eq 'bar'")
    assert exc.message == "Invalid filter clause: Could not find a property named 'foo' on type 'microsoft.graph.thing'."


@pytest.mark.parametrize("text", ["room eq 'x'", "phones eq 'x'"])
def test_properties_graph_cannot_filter_are_unsupported_queries(text):
    exc = error(text)
    assert exc.code == "Request_UnsupportedQuery"
    assert "Unsupported or invalid query filter clause specified for property" in exc.message
    assert "of resource 'Thing'" in exc.message


def test_a_quoted_boolean_is_an_incompatible_type():
    exc = error("enabled eq 'true'")
    assert exc.message == ("Invalid filter clause: A binary operator with incompatible types was detected. "
                           "Found operand types 'Edm.Boolean' and 'Edm.String' for operator kind 'Equal'.")


@pytest.mark.parametrize("text, fragment", [
    ("displayName eq", "Expression expected at position 14"),
    ("", "Expression expected at position 0"),
    ("(displayName eq 'a'", "')' or operator expected"),
    ("displayName eq 'a')", "Syntax error at position 18"),
    ("displayName eq 'a' eq 'b'", "Syntax error"),
    ("displayName = 'a'", "Syntax error"),
    ("displayName", "must evaluate to a single boolean value"),
    ("startswith(displayName)", "No function signature for the function with name 'startswith'"),
    ("startswith(enabled,'t')", "No function signature"),
    ("displayName eq 1", "incompatible types"),
    ("displayName gt null", "incompatible types"),
    ("enabled and 'x'", "must evaluate to a single boolean value"),
    ("created ge 2026-13-45T10:00:00Z", "The DateTimeOffset text '2026-13-45T10:00:00Z' should be in format"),
    (" and ".join(["enabled"] * 500), "nested too deeply"),
    ("not " * 500 + "enabled", "nested too deeply"),
])
def test_malformed_filters_are_bad_requests(text, fragment):
    exc = error(text)
    assert exc.status == 400 and exc.code == "BadRequest"
    assert exc.message.startswith("Invalid filter clause: ")
    assert fragment in exc.message


# -- $select, $top, $orderby, $count, unknown options -----------------------------------------------

def test_select_resolves_names_case_insensitively_and_keeps_their_order():
    query = parse_query({"$select": "mail, DISPLAYNAME,mail"}, THING)
    assert query.select == ("mail", "displayName")
    assert query.context_suffix() == "(mail,displayName)"
    assert query.project(ROWS[0]) == {"mail": "adele@contoso.example", "displayName": "Adele Vance"}
    assert parse_query({}, THING).project(ROWS[0]) == {"displayName": "Adele Vance", "id": "1"}


def test_select_of_an_unknown_property():
    with pytest.raises(ODataError) as caught:
        parse_query({"$select": "displayName,shoeSize"}, THING)
    assert caught.value.message == ("Parsing OData Select and Expand failed: Could not find a property named "
                                    "'shoeSize' on type 'microsoft.graph.thing'.")


@pytest.mark.parametrize("raw", ["1", "999", " 42 "])
def test_top_accepts_1_to_999(raw):
    assert parse_query({"$top": raw}, THING).top == int(raw)


@pytest.mark.parametrize("raw, fragment", [
    ("0", "Invalid page size specified: '0'. Must be between 1 and 999 inclusive."),
    ("1000", "Invalid page size specified: '1000'."),
    ("100000", "Invalid page size specified: '100000'."),
    ("abc", "Invalid value 'abc' for $top query option found."),
    ("-1", "Invalid value '-1' for $top query option found."),
    ("", "Invalid value '' for $top query option found."),
])
def test_top_out_of_range_or_not_a_number(raw, fragment):
    with pytest.raises(ODataError) as caught:
        parse_query({"$top": raw}, THING)
    assert caught.value.status == 400 and fragment in caught.value.message


def test_orderby():
    assert parse_query({"$orderby": "displayName desc"}, THING).orderby == (("displayName", True),)
    assert parse_query({"$orderby": "DisplayName"}, THING).orderby == (("displayName", False),)
    for raw, code in (("mail", "Request_UnsupportedQuery"), ("shoeSize", "BadRequest"),
                      ("displayName sideways", "BadRequest"), ("", "BadRequest")):
        with pytest.raises(ODataError) as caught:
            parse_query({"$orderby": raw}, THING)
        assert caught.value.code == code, raw


def test_count_and_unknown_or_repeated_options():
    assert parse_query({"$count": "true"}, THING).count is True
    with pytest.raises(ODataError):
        parse_query({"$count": "yes"}, THING)
    with pytest.raises(ODataError) as caught:
        parse_query({"$expand": "manager"}, THING)
    assert caught.value.message == "The query parameter '$expand' is not supported."
    with pytest.raises(ODataError):
        parse_query({"$top": "1", "$TOP": "2"}, THING)
    assert parse_query({"api-version": "x", "$Top": "3"}, THING).top == 3


# -- tokens ------------------------------------------------------------------------------------------

def test_tokens_round_trip_and_reject_any_alteration():
    signer = TokenSigner(b"k" * 32)
    token = signer.encode({"a": 41, "k": "after"})
    assert signer.decode(token) == {"a": 41, "k": "after"}
    body, mac = token.split(".")
    forged_body = signer.encode({"a": 0, "k": "after"}).split(".")[0]
    for bad in (f"{forged_body}.{mac}", f"{body}.{mac[:-2]}AA", f"{body}{mac}", "", "....", "%%%.%%%",
                TokenSigner(b"z" * 32).encode({"a": 41, "k": "after"})):
        with pytest.raises(InvalidTokenError) as caught:
            signer.decode(bad)
        assert caught.value.status == 400 and caught.value.message == "Invalid Skip Token"


# -- paging ------------------------------------------------------------------------------------------

class Source:
    """A collection in natural order that counts how many rows a page had to read."""

    def __init__(self, n: int):
        self.rows = [{"id": str(i), "displayName": f"Name {i:03d}", "enabled": i % 3 != 0} for i in range(n)]
        self.reads = 0

    def positions(self, after: int):
        for pos in range(after + 1, len(self.rows)):
            self.reads += 1
            yield pos, self.rows[pos]


def all_pages(params: dict, source: Source, signer: TokenSigner, page_size: int = 100) -> list[list[str]]:
    pages, token = [], None
    while True:
        query = parse_query({**params, **({"$skiptoken": token} if token else {})}, THING)
        page = paginate(query, source.positions, signer, page_size=page_size)
        pages.append([row["id"] for row in page.items])
        token = page.next_token
        if token is None:
            return pages


def test_pages_cover_the_collection_once_and_each_page_reads_only_its_rows():
    signer, source = TokenSigner(b"p" * 32), Source(250)
    pages = all_pages({}, source, signer)
    assert [len(p) for p in pages] == [100, 100, 50]
    assert sum(pages, []) == [str(i) for i in range(250)]
    assert source.reads <= 250 + 3  # each page peeks one row ahead, nothing is read twice


def test_top_sets_the_page_size_and_filter_applies_across_pages():
    signer, source = TokenSigner(b"p" * 32), Source(30)
    pages = all_pages({"$top": "7", "$filter": "enabled"}, source, signer)
    flat = sum(pages, [])
    assert flat == [str(i) for i in range(30) if i % 3 != 0]
    assert all(len(p) == 7 for p in pages[:-1])


def test_orderby_pages_in_sorted_order():
    signer, source = TokenSigner(b"p" * 32), Source(25)
    pages = all_pages({"$orderby": "displayName desc", "$top": "10"}, source, signer)
    assert sum(pages, []) == [str(i) for i in reversed(range(25))]


def test_count_counts_every_match_not_the_page():
    signer, source = TokenSigner(b"p" * 32), Source(30)
    page = paginate(parse_query({"$count": "true", "$top": "2", "$filter": "enabled eq false"}, THING),
                    source.positions, signer)
    assert page.count == 10 and len(page.items) == 2


def test_a_skip_token_is_bound_to_its_query_and_cannot_be_forged():
    signer, source = TokenSigner(b"p" * 32), Source(30)
    page = paginate(parse_query({"$top": "5", "$filter": "enabled"}, THING), source.positions, signer)
    for params in ({"$top": "5", "$filter": "not enabled", "$skiptoken": page.next_token},
                   {"$top": "5", "$filter": "enabled", "$skiptoken": page.next_token + "x"},
                   {"$top": "5", "$filter": "enabled", "$skiptoken": "abc"}):
        with pytest.raises(InvalidTokenError):
            paginate(parse_query(params, THING), source.positions, signer)
    with pytest.raises(InvalidTokenError):  # another lab's key
        paginate(parse_query({"$top": "5", "$filter": "enabled", "$skiptoken": page.next_token}, THING),
                 source.positions, TokenSigner(b"q" * 32))
