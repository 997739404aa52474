"""Command line: ``python -m simulator serve [options]`` and ``python -m simulator cleanup [options]``."""
from __future__ import annotations

import argparse
import sys

from .serve import add_serve_arguments, serve
from .tools.target_safety import add_cleanup_arguments, run_cleanup


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m simulator",
                                     description="Offline conformance lab for Entra ID user provisioning")
    sub = parser.add_subparsers(dest="command", required=True)
    serve_parser = sub.add_parser("serve", help="start the fake Entra ID and the fake GoToMeeting")
    add_serve_arguments(serve_parser)
    cleanup_parser = sub.add_parser(
        "cleanup", help="remove the leftovers of an interrupted conformance run from a SCIM server",
        description="Deletes every user and group whose userName, externalId or displayName carries the run's "
                    "prefix cf-<run>-, groups first, each only after a GET shows the prefix; prints what it removed. "
                    "Example: python -m simulator cleanup --target-url https://scim.example.com/scim/v2 "
                    "--token \"$TOKEN\" --run-id 3fa9c1")
    add_cleanup_arguments(cleanup_parser)
    args = parser.parse_args(argv)
    if args.command == "serve":
        return serve(args)
    if args.command == "cleanup":
        return run_cleanup(args)
    parser.error(f"unknown command {args.command}")
    return 2


if __name__ == "__main__":
    sys.exit(main())
