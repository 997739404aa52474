"""Which rules a step checks: ``@checks("rfc7644-3.4.2.2")`` on a step function.

A step that checks a rule of Entra's behaviour or an RFC 7644 clause declares it, so that a failure of the
step is explained by that rule even when its scenario carries no rule tag (the conformance report,
``fixtures/reporting.py``), and the step catalogue (``make steps``, ``docs/STEPS.md``) shows it. The
catalogue reads the declaration from the source without importing it: write the tags as string literals
in a ``checks(...)`` decorator of the step function::

    @then(parsers.parse('the target has no user "{name}"'))
    @checks("rfc7644-3.6")
    def _(ctx, name):
        ...

Every tag must be a rule of ``fixtures.rules.RULES``; an unknown tag fails at import.
"""
from __future__ import annotations

from typing import Callable, TypeVar

from fixtures.rules import RULES

F = TypeVar("F", bound=Callable)

#: The attribute of a step function that holds the tags it declares.
ATTRIBUTE = "checked_rules"


def checks(*tags: str) -> Callable[[F], F]:
    """Declare the rules (tags of ``RULES``, without ``@``) the decorated step function checks."""
    if not tags:
        raise ValueError("checks() needs at least one rule tag")
    unknown = [tag for tag in tags if tag not in RULES]
    if unknown:
        raise ValueError(f"checks(): no rule {', '.join(map(repr, unknown))} in fixtures.rules.RULES")

    def declare(func: F) -> F:
        declared = tuple(getattr(func, ATTRIBUTE, ()))
        setattr(func, ATTRIBUTE, tuple(dict.fromkeys((*declared, *tags))))
        return func
    return declare


def declared_rules(func: Callable | None) -> tuple[str, ...]:
    """The tags a step function declared with ``checks`` (none for any other callable)."""
    return tuple(getattr(func, ATTRIBUTE, ())) if func is not None else ()
