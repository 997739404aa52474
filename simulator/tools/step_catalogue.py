"""``make steps``: the catalogue of every Gherkin step phrase, written to ``docs/STEPS.md``.

It is generated, never hand-written: the step modules (``steps/*_steps.py``) are parsed with ``ast``
(nothing is imported or run), every function decorated with ``given``/``when``/``then`` gives one entry
with its phrases, its parameters (``{name}`` text, ``{name:d}`` integer, ``parsers.re`` named groups
with their converters, a data table when the function takes ``datatable``), its docstring, the rules it
checks (the tags of its ``checks("…")`` decorator, ``steps/rules.py``, titled from the ``RULES`` of
``fixtures/rules.py``, read the same way), and one example taken from the feature files
(``features/**/*.feature``), so that a QA engineer can write a new scenario from the catalogue alone.

Usage: ``python -m simulator.tools.step_catalogue [--root DIR] [--out FILE]`` (default: print).
"""
from __future__ import annotations

import argparse
import ast
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

KEYWORDS = ("given", "when", "then")
#: The decorator a step function declares the rules it checks with (``steps/rules.py``).
CHECKS = "checks"
#: Where the rules are defined (a dict literal ``RULES`` of ``Rule("<title>", …)`` calls).
RULES_MODULE = "fixtures/rules.py"
_STEP_LINE = re.compile(r"^\s*(Given|When|Then|And|But|\*)\s+(.*\S)\s*$")
_PARSE_FIELD = re.compile(r"\{\{|\}\}|\{(\w+)(?::(\w+))?\}")
_TYPES = {None: "text", "": "text", "d": "integer", "w": "word", "f": "number", "g": "number", "n": "number"}


@dataclass
class Phrase:
    keyword: str  # Given | When | Then
    text: str  # as the catalogue shows it
    kind: str  # plain | parse | re
    source: str  # the pattern as written
    converters: dict[str, str] = field(default_factory=dict)

    def regex(self) -> re.Pattern:
        if self.kind == "re":
            return re.compile(self.source)
        if self.kind == "plain":
            return re.compile(re.escape(self.source))
        out, last = [], 0
        for match in _PARSE_FIELD.finditer(self.source):
            out.append(re.escape(self.source[last:match.start()]))
            token = match.group(0)
            if token in ("{{", "}}"):
                out.append(re.escape(token[0]))
            else:
                out.append(rf"(?P<{match[1]}>-?\d+)" if match[2] == "d" else rf"(?P<{match[1]}>.+?)")
            last = match.end()
        out.append(re.escape(self.source[last:]))
        return re.compile("".join(out))

    def parameters(self) -> list[tuple[str, str]]:
        if self.kind == "parse":
            return [(m[1], _TYPES.get(m[2], m[2])) for m in _PARSE_FIELD.finditer(self.source) if m[1]]
        if self.kind == "re":
            return [(name, {"int": "integer", "float": "number"}.get(self.converters.get(name, ""), "text"))
                    for name in re.compile(self.source).groupindex]
        return []


@dataclass
class Step:
    module: str
    function_line: int
    phrases: list[Phrase]
    doc: str
    takes_table: bool
    takes_docstring: bool
    rules: list[str] = field(default_factory=list)
    example: list[str] = field(default_factory=list)
    example_at: str = ""


def _readable_regex(pattern: str) -> str:
    """A regex phrase as a reader sees it: named groups as ``{name}``, optional parts in brackets."""
    text = re.sub(r"\(\?P<(\w+)>(?:[^()\\]|\\.|\([^()]*\))*\)", r"{\1}", pattern)
    text = re.sub(r"\(\?:((?:[^()\\]|\\.)*)\)\?", r"[\1]", text)
    text = re.sub(r"\\(.)", r"\1", text)
    return text.strip("^$")


def _phrase(keyword: str, arg: ast.expr, keywords: list[ast.keyword]) -> Phrase | None:
    if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
        return Phrase(keyword, arg.value, "plain", arg.value)
    if isinstance(arg, ast.Call) and arg.args and isinstance(arg.args[0], ast.Constant):
        name = arg.func.attr if isinstance(arg.func, ast.Attribute) else getattr(arg.func, "id", "")
        pattern = arg.args[0].value
        if name in ("parse", "cfparse"):
            return Phrase(keyword, pattern, "parse", pattern)
        if name == "re":
            converters = {}
            for kw in keywords:
                if kw.arg == "converters" and isinstance(kw.value, ast.Dict):
                    for k, v in zip(kw.value.keys, kw.value.values):
                        if isinstance(k, ast.Constant) and isinstance(v, ast.Name):
                            converters[k.value] = v.id
            return Phrase(keyword, _readable_regex(pattern), "re", pattern, converters)
    return None


def parse_module(path: Path, root: Path) -> list[Step]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    steps = []
    for node in tree.body:
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        phrases, rules = [], []
        for deco in node.decorator_list:
            if not (isinstance(deco, ast.Call) and deco.args):
                continue
            name = deco.func.attr if isinstance(deco.func, ast.Attribute) else getattr(deco.func, "id", "")
            if name in KEYWORDS:
                phrase = _phrase(name.capitalize(), deco.args[0], deco.keywords)
                if phrase is not None:
                    phrases.append(phrase)
            elif name == CHECKS:
                rules += [a.value for a in deco.args if isinstance(a, ast.Constant) and isinstance(a.value, str)
                          and a.value not in rules]
        if not phrases:
            continue
        args = {a.arg for a in node.args.args}
        doc = " ".join((ast.get_docstring(node) or "").split())
        steps.append(Step(path.relative_to(root).as_posix(), node.lineno, phrases, doc,
                          "datatable" in args, "docstring" in args, rules))
    return steps


def feature_steps(features: Path, root: Path) -> list[tuple[str, str, str, list[str]]]:
    """Every step line of the feature files: (where, keyword, text, the table or docstring under it)."""
    found = []
    for path in sorted(features.rglob("*.feature")):
        lines = path.read_text(encoding="utf-8").splitlines()
        primary = "Given"
        for number, line in enumerate(lines):
            match = _STEP_LINE.match(line)
            if not match:
                continue
            keyword = match[1] if match[1] in ("Given", "When", "Then") else primary
            primary = keyword
            attached = _attached(lines, number + 1)
            found.append((f"{path.relative_to(root).as_posix()}:{number + 1}", keyword, match[2], attached))
    return found


def _attached(lines: list[str], index: int) -> list[str]:
    """The data table or doc string written under a step line."""
    attached = []
    if index < len(lines) and lines[index].strip()[:3] in ('"""', "```"):
        fence = lines[index].strip()[:3]
        attached.append(lines[index].strip())
        for line in lines[index + 1:]:
            attached.append(line.strip())
            if line.strip().startswith(fence):
                break
        return attached
    while index < len(lines) and lines[index].strip().startswith("|"):
        attached.append(lines[index].strip())
        index += 1
    return attached


def attach_examples(steps: list[Step], lines: list[tuple[str, str, str, list[str]]]) -> None:
    for step in steps:
        compiled = [(p.keyword, p.regex()) for p in step.phrases]
        matches = [(where, kw, text, attached) for where, kw, text, attached in lines
                   if any(kw == k and rx.fullmatch(text) for k, rx in compiled)]
        if not matches:
            matches = [(where, kw, text, attached) for where, kw, text, attached in lines
                       if any(rx.fullmatch(text) for _, rx in compiled)]
        concrete = [m for m in matches if "<" not in m[2]] or matches
        if concrete:
            where, kw, text, attached = concrete[0]
            step.example = [f"{kw} {text}", *attached]
            step.example_at = where


def catalogue(root: Path) -> list[Step]:
    steps = []
    for path in sorted((root / "steps").glob("*_steps.py")):
        steps.extend(parse_module(path, root))
    attach_examples(steps, feature_steps(root / "features", root))
    return steps


def rule_titles(root: Path) -> dict[str, str]:
    """tag -> title of the rules in ``RULES_MODULE`` (parsed, not imported)."""
    path = root / RULES_MODULE
    if not path.exists():
        return {}
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.AnnAssign):
            target = node.target
        elif isinstance(node, ast.Assign):
            target = node.targets[0]
        else:
            continue
        if isinstance(target, ast.Name) and target.id == "RULES" and isinstance(node.value, ast.Dict):
            return {k.value: v.args[0].value for k, v in zip(node.value.keys, node.value.values)
                    if isinstance(k, ast.Constant) and isinstance(v, ast.Call) and v.args
                    and isinstance(v.args[0], ast.Constant)}
    return {}


def _module_doc(root: Path, module: str) -> str:
    doc = ast.get_docstring(ast.parse((root / module).read_text(encoding="utf-8"))) or ""
    return " ".join(doc.split("\n\n")[0].split())


def render(root: Path) -> str:
    steps = catalogue(root)
    titles = rule_titles(root)
    out = ["# Step catalogue", "",
           "Generated by `make steps` from the step definitions (`steps/*_steps.py`, parsed, not imported); "
           "do not edit by hand. Every phrase below can be used in a new `.feature` file under `features/` "
           "without writing Python: `{name}` is a text parameter (write it where the braces are, usually "
           "between quotes), `{name:d}` an integer, `[…]` an optional part. `And`/`But` continue the "
           "previous keyword. Scenarios tagged `@target` run against any SCIM server (see the README's "
           "\"Conformance for vendors\"). \"checks\" names the rules a step checks: when it fails, the "
           "conformance report explains the failure with them, also in a scenario without rule tags.", "",
           f"{len(steps)} steps, {sum(len(s.phrases) for s in steps)} phrases.", ""]
    for module in sorted({s.module for s in steps}, key=lambda m: (m != "steps/target_steps.py", m)):
        out += [f"## `{module}`", "", _module_doc(root, module), ""]
        for step in (s for s in steps if s.module == module):
            first = step.phrases[0]
            out.append(f"### {first.keyword} {first.text}")
            out.append("")
            for other in step.phrases[1:]:
                out.append(f"- also: **{other.keyword}** {other.text}")
            params = [f"`{name}` ({kind})" for name, kind in first.parameters()]
            if step.takes_table:
                params.append("a data table under the step")
            if step.takes_docstring:
                params.append("a doc string under the step")
            out.append(f"- parameters: {', '.join(params) if params else 'none'}")
            if step.doc:
                out.append(f"- does: {step.doc}")
            if step.rules:
                out.append("- checks: " + ", ".join(
                    f"`@{tag}` ({titles[tag]})" if tag in titles else f"`@{tag}`" for tag in step.rules))
            if step.example:
                out += [f"- example (`{step.example_at}`):", "", "  ```gherkin",
                        *(f"  {line}" for line in step.example), "  ```"]
            else:
                out.append("- example: none in the feature files yet")
            out.append(f"- defined at `{step.module}:{step.function_line}`")
            out.append("")
    return "\n".join(out).rstrip("\n") + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m simulator.tools.step_catalogue", description=__doc__.split("\n")[0])
    parser.add_argument("--root", default=".", help="the repository root (default: the current directory)")
    parser.add_argument("--out", default=None, help="write the catalogue to this file (default: print it)")
    args = parser.parse_args(argv)
    text = render(Path(args.root).resolve())
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
