"""No assertion without a valid signature is ever accepted: every element, attribute and text of a good,
signed response is changed in turn (removed, renamed, rewritten), and the assertion is wrapped in the
known XML-signature-wrapping shapes; GoTo's ACS refuses every result, each with a reason (never with an
unexpected exception, never as a replay: a replay refusal would mean every other check had passed), and
still accepts the untouched response afterwards."""
from __future__ import annotations

import copy

import pytest
from lxml import etree

from simulator.core.saml import NS
from simulator.gotomeeting.sso.model import AcsRefusal

from .saml_lab import SamlLab, fresh

Q = {"ds": NS["ds"], "saml": NS["saml"], "samlp": NS["samlp"]}


def _parse(xml: bytes) -> etree._Element:
    return etree.fromstring(xml, parser=etree.XMLParser(resolve_entities=False, no_network=True))


def _mutations(xml: bytes):
    """(description, the changed node's place, mutated XML) for every node of the document; the place
    is "assertion" (the Assertion or inside it), "status" (the Status or inside it), "issuer" (the
    Response's Issuer) or "response" (the Response element itself)."""
    root = _parse(xml)
    count = sum(1 for _ in root.iter())
    for index in range(count):
        def fresh(index=index):
            doc = _parse(xml)
            return doc, list(doc.iter())[index]

        doc, node = fresh()
        path = doc.getroottree().getpath(node)
        chain = [node, *node.iterancestors()]
        place = ("assertion" if any(n.tag == f"{{{NS['saml']}}}Assertion" for n in chain) else
                 "status" if any(n.tag == f"{{{NS['samlp']}}}Status" for n in chain) else
                 "response" if node is doc else "issuer")
        if node is not doc:
            doc, node = fresh()
            node.getparent().remove(node)
            yield f"remove {path}", place, etree.tostring(doc)
        doc, node = fresh()
        qname = etree.QName(node)
        node.tag = f"{{{qname.namespace}}}{qname.localname}X"
        yield f"rename {path}", place, etree.tostring(doc)
        if node.text and node.text.strip():
            doc, node = fresh()
            text = node.text
            node.text = text[:-2] + ("A" if text[-2:-1] != "A" else "B") + text[-1:]
            yield f"rewrite the text of {path}", place, etree.tostring(doc)
        for name in list(fresh()[1].attrib):
            doc, node = fresh()
            node.set(name, node.get(name) + "x")
            yield f"change {path}/@{name}", place, etree.tostring(doc)
            doc, node = fresh()
            del node.attrib[name]
            yield f"remove {path}/@{name}", place, etree.tostring(doc)


def _refused(saml: SamlLab, xml: bytes) -> str:
    try:
        saml.consume(xml)
    except AcsRefusal as exc:
        return exc.reason
    return "ACCEPTED"


def _assert_all_refused(saml: SamlLab, cases) -> int:
    accepted, replays, count = [], [], 0
    for description, _place, xml in cases:
        count += 1
        reason = _refused(saml, xml)
        if reason == "ACCEPTED":
            accepted.append(description)
        elif reason == "replay":
            replays.append(description)
    assert not accepted, f"accepted after a mutation: {accepted}"
    assert not replays, f"passed every check but replay: {replays}"
    return count


def test_every_mutation_of_a_signed_response_is_refused():
    """"Sign SAML response": the signature covers the whole message, so every node counts."""
    saml = fresh()
    saml.set_signing_option("SignResponse")
    good = saml.issue()
    count = _assert_all_refused(saml, _mutations(good))
    assert count > 150
    assert saml.consume(good).user.user_name == "b.simon@contoso.example"


def test_every_mutation_inside_a_signed_assertion_is_refused():
    """Entra's default, "Sign SAML assertion": every node of the assertion (its signature included) and
    every envelope field the ACS reads (Destination, Status, Issuer, Version) is protected."""
    saml = fresh()
    good = saml.issue()
    #: What the ACS reads from the unsigned envelope: the Response's Destination and Version, the Status,
    #: the Issuer's value. (Response ID and IssueInstant are read by nobody; Destination and Issuer are
    #: optional in SAML, so removing them is not a refusal.)
    envelope = {"change /samlp:Response/@Destination", "change /samlp:Response/@Version",
                "remove /samlp:Response/@Version", "rename /samlp:Response", "rewrite the text of /samlp:Response/*[1]"}

    def relevant():
        for description, place, xml in _mutations(good):
            if place in ("assertion", "status") or description in envelope:
                yield description, place, xml

    count = _assert_all_refused(saml, relevant())
    assert count > 120
    assert saml.consume(good).user.user_name == "b.simon@contoso.example"


def _wrapped(good: bytes):
    """The XML-signature-wrapping shapes (McIntosh & Austel; Somorovsky et al.): a forged assertion for
    the team administrator next to, around or inside the genuine signed one."""
    def parts():
        root = _parse(good)
        original = root.find("saml:Assertion", Q)
        forged = copy.deepcopy(original)
        forged.find("saml:Subject/saml:NameID", Q).text = "goto.admin@contoso.example"
        return root, original, forged

    root, original, forged = parts()
    forged.remove(forged.find("ds:Signature", Q))
    root.insert(list(root).index(original), forged)
    yield "forged assertion before the signed one", etree.tostring(root)

    root, original, forged = parts()
    forged.remove(forged.find("ds:Signature", Q))
    root.append(forged)
    yield "forged assertion after the signed one", etree.tostring(root)

    root, original, forged = parts()
    forged.set("ID", "_evil")
    signature = forged.find("ds:Signature", Q)
    root.remove(original)
    signature.append(original)
    root.append(forged)
    yield "signed assertion hidden in the forged one's signature", etree.tostring(root)

    root, original, forged = parts()
    forged.remove(forged.find("ds:Signature", Q))
    extensions = etree.SubElement(root, f"{{{NS['samlp']}}}Extensions")
    root.remove(original)
    extensions.append(original)
    root.insert(1, extensions)
    root.append(forged)
    yield "signed assertion moved into Extensions", etree.tostring(root)

    root, original, forged = parts()
    forged.remove(forged.find("ds:Signature", Q))
    forged.set("ID", original.get("ID"))
    wrapper = etree.SubElement(forged, f"{{{NS['saml']}}}Advice")
    wrapper.append(copy.deepcopy(original))
    root.replace(original, forged)
    yield "signed assertion in the forged one's Advice, same ID", etree.tostring(root)

    root, original, forged = parts()
    signature = original.find("ds:Signature", Q)
    forged.remove(forged.find("ds:Signature", Q))
    original.remove(signature)
    forged.insert(1, signature)
    root.replace(original, forged)
    yield "genuine signature moved onto the forged assertion", etree.tostring(root)


def test_wrapped_assertions_are_refused():
    saml = fresh()
    good = saml.issue()
    reasons = {description: _refused(saml, xml) for description, xml in _wrapped(good)}
    assert all(reason in ("wrapped", "signature") for reason in reasons.values()), reasons
    assert saml.consume(good).user.user_name == "b.simon@contoso.example"


@pytest.mark.parametrize("text", [
    b"", b"not xml", b"<?xml version='1.0'?><!DOCTYPE x [<!ENTITY a 'b'>]><x>&a;</x>",
    b"<samlp:Response xmlns:samlp='urn:oasis:names:tc:SAML:2.0:protocol' Version='2.0'/>"])
def test_garbage_is_refused_as_a_page_never_a_500(text):
    saml = fresh()
    resp = saml.post_acs(text)
    assert resp.status_code in (400, 403)
    assert resp.headers["X-GoTo-SSO-Result"].startswith("refused; reason=")
    assert "text/html" in resp.content_type
