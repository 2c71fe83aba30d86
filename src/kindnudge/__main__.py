"""Lets `python -m kindnudge` behave exactly like the `kindnudge` script."""

import sys

from kindnudge.cli import main

sys.exit(main())
