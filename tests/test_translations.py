"""The pages' texts come from the message catalogues: every text the templates and page views mark for
translation has a German translation, the compiled ``.mo`` files are those of the ``.po`` files
(``make translations``), and no two catalogues translate one text differently."""
from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from simulator.core.pages import TRANSLATIONS

ROOT = Path(__file__).resolve().parent.parent
#: Where page texts live: views (gettext, ngettext) and Jinja templates (_, gettext, ngettext).
PAGE_SOURCES = ["simulator/core", "simulator/entra/portal", "simulator/entra/sso", "simulator/gotomeeting"]
METHODS = [("**/templates/**.html", "jinja2"), ("**.py", "python")]
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None, "_l": None}


def catalogues(locale: str = "de") -> dict[Path, object]:
    found = {}
    for po in sorted(TRANSLATIONS.glob(f"*/{locale}/LC_MESSAGES/messages.po")):
        with po.open("rb") as handle:
            found[po] = read_po(handle, locale=locale)
    return found


def marked_texts() -> dict[str, str]:
    """msgid -> where it is used, for every text the page sources mark for translation."""
    texts: dict[str, str] = {}
    for folder in PAGE_SOURCES:
        for filename, _lineno, message, _comments, _context in extract_from_dir(
                ROOT / folder, METHODS, keywords=KEYWORDS, options_map={"**/templates/**.html": {}}):
            msgid = message[0] if isinstance(message, tuple) else message
            if msgid:
                texts.setdefault(msgid, f"{folder}/{filename}")
    return texts


def test_there_are_catalogues_and_page_texts():
    assert catalogues(), f"no German catalogue under {TRANSLATIONS}"
    assert len(marked_texts()) > 30


def test_every_page_text_has_a_german_translation():
    translated: dict[str, str] = {}
    for catalog in catalogues().values():
        for message in catalog:
            if message.id and message.string and not message.fuzzy:
                key = message.id[0] if isinstance(message.id, tuple) else message.id
                translated[key] = message.string
    missing = {msgid: where for msgid, where in marked_texts().items() if msgid not in translated}
    assert not missing, "texts without a German translation (add them to a catalogue, then make translations):\n" + \
        "\n".join(f"  {where}: {msgid!r}" for msgid, where in sorted(missing.items(), key=lambda kv: kv[1]))


def test_no_two_catalogues_translate_one_text_differently():
    seen: dict[str, tuple[Path, object]] = {}
    clashes = []
    for po, catalog in catalogues().items():
        for message in catalog:
            if not message.id:
                continue
            key = message.id[0] if isinstance(message.id, tuple) else message.id
            if key in seen and seen[key][1] != message.string:
                clashes.append(f"{key!r}: {seen[key][0].parent.parent.parent.name} vs {po.parent.parent.parent.name}")
            seen.setdefault(key, (po, message.string))
    assert not clashes, "\n".join(clashes)


def flat(value):
    return tuple(value) if isinstance(value, (list, tuple)) else value


@pytest.mark.parametrize("po", sorted(TRANSLATIONS.glob("*/*/LC_MESSAGES/messages.po")),
                         ids=lambda p: "/".join(p.parts[-4:-2]))
def test_the_compiled_catalogue_is_the_current_one(po: Path):
    mo = po.with_suffix(".mo")
    assert mo.is_file(), f"{mo} is missing: run make translations"
    with po.open("rb") as handle:
        source = {flat(m.id): flat(m.string) for m in read_po(handle) if m.id and m.string and not m.fuzzy}
    with mo.open("rb") as handle:
        compiled = {flat(m.id): flat(m.string) for m in read_mo(handle) if m.id}
    assert compiled == source, f"{mo} is stale: run make translations"
