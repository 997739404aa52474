"""Command line: ``python -m simulator serve [options]``."""
from __future__ import annotations

import argparse
import sys

from .serve import add_serve_arguments, serve


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m simulator",
                                     description="Offline conformance lab for Entra ID user provisioning")
    sub = parser.add_subparsers(dest="command", required=True)
    serve_parser = sub.add_parser("serve", help="start the fake Entra ID and the fake GoToMeeting")
    add_serve_arguments(serve_parser)
    args = parser.parse_args(argv)
    if args.command == "serve":
        return serve(args)
    parser.error(f"unknown command {args.command}")
    return 2


if __name__ == "__main__":
    sys.exit(main())
