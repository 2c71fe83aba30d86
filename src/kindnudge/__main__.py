"""Lets `python -m kindnudge` behave exactly like the `kindnudge` script."""

from kindnudge.cli import entry

entry()
