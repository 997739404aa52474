"""The step catalogue (``make steps`` → docs/STEPS.md) is generated from the step definitions and lists
every registered phrase with its parameters and an example (that a new ``.feature`` made of catalogued
steps runs without code changes is proved in test_conformance.py)."""
from __future__ import annotations

import importlib
from pathlib import Path

from simulator.tools import step_catalogue

ROOT = Path(__file__).resolve().parent.parent

def test_the_catalogue_lists_exactly_the_registered_step_phrases():
    from pytest_bdd.steps import step_function_context_registry

    steps = step_catalogue.catalogue(ROOT)
    catalogued = {(s.module, p.keyword.lower(), p.source) for s in steps for p in s.phrases}
    modules = sorted(p.stem for p in (ROOT / "steps").glob("*_steps.py"))
    for name in modules:
        importlib.import_module(f"steps.{name}")
    registered = {(f"steps/{ctx.step_func.__module__.split('.')[-1]}.py", ctx.type, ctx.parser.name)
                  for ctx in list(step_function_context_registry.values())
                  if ctx.step_func.__module__.split(".")[-1] in modules}
    assert catalogued == registered


def test_phrases_read_as_a_person_writes_them_and_match_their_examples():
    steps = {p.source: (s, p) for s in step_catalogue.catalogue(ROOT) for p in s.phrases}
    step, phrase = steps["the conformance client sends {request} for an id the target never issued"]
    assert phrase.parameters() == [("request", "text")]
    assert phrase.regex().fullmatch("the conformance client sends GET /Users/{id} for an id the target never issued")
    count_step, count_phrase = steps["{count:d} tenant users are assigned to the app"]
    assert count_phrase.parameters() == [("count", "integer")]
    assert count_step.example == ["Given 11 tenant users are assigned to the app"]
    assert not count_phrase.regex().fullmatch("eleven tenant users are assigned to the app")
    table_step, _ = steps['the target shows "{name}" with:']
    assert table_step.takes_table and table_step.example[1].startswith("| attribute")
    regex = next(p for s, p in steps.values() if p.kind == "re" and "{" in p.text)
    assert "(?P<" not in regex.text and regex.parameters()


def test_every_target_step_has_an_example_and_docs_steps_md_lists_it():
    text = (ROOT / "docs" / "STEPS.md").read_text()
    for step in step_catalogue.catalogue(ROOT):
        if step.module == "steps/target_steps.py":
            assert step.example, f"no feature uses {step.phrases[0].text!r}"
            for phrase in step.phrases:
                assert phrase.text in text, f"docs/STEPS.md is stale (make steps): {phrase.text!r} is missing"


def test_docs_steps_md_is_what_make_steps_writes():
    """docs/STEPS.md is the catalogue of the steps as they are (phrases, examples, where each is defined):
    after a change to the steps, ``make steps`` writes it again."""
    assert (ROOT / "docs" / "STEPS.md").read_text() == step_catalogue.render(ROOT), \
        "docs/STEPS.md is stale: run make steps"
