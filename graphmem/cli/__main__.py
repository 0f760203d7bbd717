"""`python -m graphmem.cli`: the `graphmem` command."""

from graphmem.cli import run

run()
