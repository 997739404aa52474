"""Command line: ``python -m simulator serve|conformance|steps|cleanup|rehearse [options]`` (``--help`` on each)."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .serve import add_serve_arguments, serve
from .tools.conformance import add_conformance_arguments, add_steps_arguments, run_conformance, run_steps
from .tools.rehearse import add_rehearse_arguments, run_rehearse
from .tools.target_safety import add_cleanup_arguments, run_cleanup


def main(argv: list[str] | None = None) -> int:
    command = Path(sys.argv[0]).name
    parser = argparse.ArgumentParser(prog=command if command == "entra-lab" else "python -m simulator",
                                     description="Offline conformance lab for Entra ID user provisioning")
    sub = parser.add_subparsers(dest="command", required=True)
    serve_parser = sub.add_parser(
        "serve", help="start the fake Entra ID and the fake GoToMeeting",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Starts both fakes, wired to each other, with a seeded tenant; prints their addresses and "
                    "credentials. Ctrl-C or SIGTERM stops them.",
        epilog="examples:\n"
               "  %(prog)s                               # ports 8410 (Entra) and 8420 (GoToMeeting)\n"
               "  %(prog)s --tls --describe lab.json --seed 7 --users 200 --groups 10\n"
               "  %(prog)s --entra-port 0 --gotomeeting-port 0 --clock real --time-scale 60")
    add_serve_arguments(serve_parser)
    conformance_parser = sub.add_parser(
        "conformance", help="run the Gherkin conformance suite (the lab's fakes, or your SCIM server) with reports",
        description="Runs the conformance scenarios: against the lab's own fakes, or with --target-url the @target "
                    "scenarios against your SCIM server, once per Entra dialect. One line per scenario, then the "
                    "summary's headline and the path of summary.html. Exit code 0 all passed, 1 a scenario failed, "
                    "2 the run could not be made (a bad option, an unusable target).")
    add_conformance_arguments(conformance_parser)
    steps_parser = sub.add_parser("steps", help="print the step catalogue (every Gherkin phrase a scenario can use)",
                                  description="Prints the step catalogue, docs/STEPS.md, made from the step "
                                              "definitions. Example: python -m simulator steps --out STEPS.md")
    add_steps_arguments(steps_parser)
    cleanup_parser = sub.add_parser(
        "cleanup", help="remove the leftovers of an interrupted conformance run from a SCIM server",
        description="Deletes every user and group whose userName, externalId or displayName carries the run's "
                    "prefix cf-<run>-, groups first, each only after a GET shows the prefix; prints what it removed. "
                    "Example: python -m simulator cleanup --target-url https://scim.example.com/scim/v2 "
                    "--token \"$TOKEN\" --run-id 3fa9c1")
    add_cleanup_arguments(cleanup_parser)
    rehearse_parser = sub.add_parser(
        "rehearse", help="load rehearsal: Entra's initial cycle, a day of changes and a mass unassignment against "
                         "a SCIM server, with a report",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Rehearses Entra's provisioning load against your SCIM server (or the lab's GoToMeeting): a "
                    "tenant of --users users in groups assigned to the non-gallery app, the initial cycle, a day "
                    "of incremental cycles, a mass unassignment. Writes report.json, report.md and report.html "
                    "(charts) to --report-dir; a progress line on stderr. Exit code 0 done, 2 the rehearsal could "
                    "not be made (a bad option, an unusable target).",
        epilog="examples:\n"
               "  %(prog)s --users 2000 --cycles 6                      # against the lab's GoToMeeting\n"
               "  %(prog)s --target-url https://scim.example.com/scim/v2 --token \"$TOKEN\" \\\n"
               "      --users 50000 --concurrency 4 --rate 25")
    add_rehearse_arguments(rehearse_parser)
    args = parser.parse_args(argv)
    if args.command == "serve":
        return serve(args)
    if args.command == "cleanup":
        return run_cleanup(args)
    if args.command == "conformance":
        return run_conformance(args)
    if args.command == "steps":
        return run_steps(args)
    if args.command == "rehearse":
        return run_rehearse(args)
    parser.error(f"unknown command {args.command}")
    return 2


if __name__ == "__main__":
    sys.exit(main())
