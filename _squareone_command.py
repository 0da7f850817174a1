"""The ``squareone`` console script: :func:`squareone.cli.main`, with Ctrl-C during start-up.

Importing squareone (NumPy, Pillow...) takes a noticeable moment, and Ctrl-C pressed then
would print a traceback from inside some import. This module imports nothing heavy itself,
so it can catch that and report it as any other interruption: one line, exit status 130.
"""

import sys

#: The exit status of an interrupted command (128 + SIGINT), as squareone.cli.EXIT_INTERRUPTED.
EXIT_INTERRUPTED = 130


def main() -> int:
    try:
        from squareone.cli import main as run
    except KeyboardInterrupt:
        print("squareone: interrupted while starting; nothing was done", file=sys.stderr)
        return EXIT_INTERRUPTED
    return run()


if __name__ == "__main__":
    sys.exit(main())
