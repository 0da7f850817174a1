"""``python -m squareone``: the same as the ``squareone`` command."""

import sys

from squareone.cli import main

sys.exit(main())
