"""``python -m simulator conformance``: the Gherkin conformance suite as one command, for vendors and CI.

It runs what ``make conformance`` runs (pytest over ``steps/`` with the reports under ``--report-dir``),
set up from options instead of environment variables, and speaks to a person: one line per scenario
(result, name, dialect), then the summary's headline and the path of ``summary.html``.

* Without ``--target-url`` the scenarios run against the lab's own fakes (every feature; ``--tags``
  selects). With it, the ``@target`` scenarios run against that SCIM server in vendor mode (ownership
  guard, safe start, cleanup: see ``fixtures/target.py``).
* ``--features DIR`` adds a folder of the user's own ``.feature`` files written from the step catalogue
  (``python -m simulator steps``): they run beside the suite's ``features/target`` scenarios (tag them
  ``@target`` to run them against a vendor's server).
* Exit code 0 when every scenario passed, 1 when one failed, 2 when the run could not be made (a bad
  option, a target that is unreachable, refuses the token, answers HTML, hangs or ignores filters; an
  interrupted run), each with one line that says what to fix.
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from ..paths import SUITE as ROOT

DIALECTS = ("legacy", "aadOptscim062020", "both")
EXAMPLES = """examples:
  python -m simulator conformance                                  # the lab's own fakes, every scenario
  python -m simulator conformance --tags "entra-matching" --dialect legacy
  python -m simulator conformance --target-url https://scim.example.com/scim/v2 --token "$TOKEN" \\
      --domain example.com --ca ca.pem --jobs 2 --report-dir reports
  python -m simulator conformance --target-url … --token … --features my-checks/
"""


def add_conformance_arguments(parser: argparse.ArgumentParser) -> None:
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.epilog = EXAMPLES
    parser.add_argument("--target-url", default=None, help="your SCIM base address (https://host/scim/v2); "
                                                           "without it the lab's own GoToMeeting is the target")
    parser.add_argument("--token", default=None, help="the bearer token Entra sends (the app's Secret Token)")
    parser.add_argument("--ca", default=None, help="a CA bundle that verifies an HTTPS target")
    parser.add_argument("--domain", default=None, help="the e-mail domain your server accepts in userName")
    parser.add_argument("--role", default=None, help="a constant role every provisioned user carries")
    parser.add_argument("--dialect", default="both", choices=DIALECTS,
                        help="Entra's PATCH dialect(s): legacy, aadOptscim062020 or both (default)")
    parser.add_argument("--tags", default=None, help='select scenarios by tag, e.g. "rfc7644-3.12 and not entra-matching"')
    parser.add_argument("--jobs", type=int, default=0, help="run on N workers (0: serially)")
    parser.add_argument("--report-dir", default="reports", help="where the reports go (default: reports)")
    parser.add_argument("--features", default=None, help="a folder of your own .feature files to run as well")
    parser.add_argument("--run-id", default=None, help="fix the run id of the prefix cf-<run>- (for cleanup)")
    parser.add_argument("--timeout", type=float, default=None, help="Entra's timeout in seconds (default 10)")
    parser.add_argument("--allow-unfiltered", action="store_true",
                        help="run against a server that answers objects to a query matching nothing")


class UsageProblem(Exception):
    """A bad option: one line that says what to fix."""


def _environment(args: argparse.Namespace) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TARGET_") and k != "DIALECT"}
    if args.target_url:
        if not re.match(r"^https?://", args.target_url):
            raise UsageProblem(f"--target-url must be an http(s) URL, not {args.target_url!r}")
        if not args.token:
            raise UsageProblem("--target-url needs --token (the bearer token Entra sends)")
        env.update(TARGET_URL=args.target_url, TARGET_TOKEN=args.token)
    elif args.token:
        raise UsageProblem("--token goes with --target-url")
    if args.ca:
        if not Path(args.ca).is_file():
            raise UsageProblem(f"--ca {args.ca!r} is not a file")
        env["TARGET_CA"] = str(Path(args.ca).resolve())
    for option, name in ((args.domain, "TARGET_DOMAIN"), (args.role, "TARGET_ROLE"), (args.run_id, "TARGET_RUN_ID")):
        if option:
            env[name] = option
    if args.run_id and not re.fullmatch(r"[a-z0-9]{1,12}", args.run_id):
        raise UsageProblem("--run-id must be 1 to 12 lower-case letters or digits")
    if args.timeout is not None:
        if not 0 < args.timeout <= 300:
            raise UsageProblem("--timeout must be a number of seconds between 0 and 300")
        env["TARGET_TIMEOUT"] = str(args.timeout)
    if args.allow_unfiltered:
        env["TARGET_ALLOW_UNFILTERED"] = "1"
    if args.jobs < 0:
        raise UsageProblem("--jobs must be 0 or more")
    env["DIALECT"] = args.dialect
    return env


def own_tags(features: Path) -> list[str]:
    """The tags the user's feature files use (``@name`` at the start of a line's words)."""
    tags: set[str] = set()
    for path in features.rglob("*.feature"):
        for line in path.read_text(encoding="utf-8").splitlines():
            words = line.split()
            if words and words[0].startswith("@"):
                tags.update(w[1:] for w in words if w.startswith("@") and len(w) > 1)
    return sorted(tags)


def _features_with(extra: Path, into: Path) -> Path:
    """A features folder: the suite's own, with the user's ``.feature`` files under ``target/yours/``."""
    if not extra.is_dir():
        raise UsageProblem(f"--features {str(extra)!r} is not a folder")
    found = sorted(extra.rglob("*.feature"))
    if not found:
        raise UsageProblem(f"--features {str(extra)!r} holds no .feature file")
    shutil.copytree(ROOT / "features", into)
    for path in found:
        target = into / "target" / "yours" / path.relative_to(extra)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
    return into


def command(args: argparse.Namespace, report_dir: Path, features: Path | None) -> list[str]:
    cmd = [sys.executable, "-m", "pytest", str(ROOT / "steps"), "-q", "-p", "no:cacheprovider",
           f"--report-dir={report_dir}", f"--junitxml={report_dir / 'junit.xml'}",
           f"--cucumberjson={report_dir / 'cucumber.json'}", "--scenario-lines"]
    if features is not None:
        cmd += ["-o", f"bdd_features_base_dir={features}", f"--own-tags={','.join(own_tags(features / 'target' / 'yours'))}"]
    if args.jobs:
        cmd += ["-n", str(args.jobs)]
    if args.tags:
        cmd += ["-m", args.tags]
    return cmd


def headline(report_dir: Path) -> str | None:
    summary = report_dir / "summary.md"
    if not summary.exists():
        return None
    for line in summary.read_text(encoding="utf-8").splitlines():
        if line.startswith("- **Result:"):
            return line[2:].replace("**", "")
    return None


def run_conformance(args: argparse.Namespace) -> int:
    report_dir = Path(args.report_dir).resolve()
    with tempfile.TemporaryDirectory(prefix="conformance-features-") as tmp:
        try:
            env = _environment(args)
            features = _features_with(Path(args.features).resolve(), Path(tmp) / "features") \
                if args.features else None
        except UsageProblem as problem:
            print(f"conformance: {problem}", file=sys.stderr)
            return 2
        report_dir.mkdir(parents=True, exist_ok=True)
        try:
            code = subprocess.call(command(args, report_dir, features), cwd=ROOT, env=env)
        except KeyboardInterrupt:  # the run cleans up and ends by itself
            code = 2
    line = headline(report_dir)
    if line:
        print(line)
        print(f"report: {report_dir / 'summary.html'}")
    if code in (0, 1):
        return code
    if code == 5:
        print("conformance: no scenario matched the selection (--tags)", file=sys.stderr)
    return 2


def add_steps_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", default=None, help="write the catalogue to this file (default: print it)")


def run_steps(args: argparse.Namespace) -> int:
    from .step_catalogue import main as catalogue

    return catalogue(["--root", str(ROOT)] + (["--out", args.out] if args.out else []))
