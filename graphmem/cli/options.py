"""The scope options that memory and bulk commands share: --user, --agent, --run."""

from __future__ import annotations

import argparse
from typing import Any

SCOPE_KEYS = ("user_id", "agent_id", "run_id")


def add_scope(parser: argparse.ArgumentParser) -> None:
    """Add --user, --agent and --run to a command."""
    parser.add_argument("--user", dest="user_id", help="user id (the owner namespace)")
    parser.add_argument("--agent", dest="agent_id", help="agent id")
    parser.add_argument("--run", dest="run_id", help="run / session id")


def scope_of(args: argparse.Namespace) -> dict[str, Any]:
    """The scope ids given on the command line, as keyword arguments of a `Memory` method
    (all None for a command without scope options).

    >>> scope_of(argparse.Namespace(user_id="ana", agent_id=None, run_id="r1"))
    {'user_id': 'ana', 'agent_id': None, 'run_id': 'r1'}
    """
    return {key: getattr(args, key, None) for key in SCOPE_KEYS}
