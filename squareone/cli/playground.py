"""``squareone playground``: the live playground in the browser (see squareone.playground)."""

from __future__ import annotations

import argparse
import sys
import webbrowser

from squareone.cli.common import EXIT_OK, UsageError, number


def add_parser(commands) -> None:
    """Add the ``playground`` command to the subcommands ``commands``."""
    playground = commands.add_parser(
        "playground", help="watch a network learn, live, in the browser",
        description="Start the playground, a local web page that trains squareone networks "
        "live (the decision boundary, curves and weights update as it trains). Ctrl-C stops it.")
    playground.add_argument("--port", type=number(int, 0, 65536), default=0,
                            help="port to listen on (default: a free one)")
    playground.add_argument("--host", default="127.0.0.1",
                            help="address to listen on (default: 127.0.0.1, this computer "
                            "only)")
    playground.add_argument("--no-browser", dest="browser", action="store_false",
                            help="do not open the page in the default browser")
    playground.add_argument("--max-running", type=number(int, 1, 17), default=2, metavar="N",
                            help="trainings that may run at once (default: 2)")
    playground.add_argument("--verbose", "-v", action="store_true",
                            help="log every request")
    playground.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from squareone.playground import make_server

    try:
        server = make_server(args.host, args.port, max_running=args.max_running,
                             quiet=not args.verbose)
    except OSError as error:
        raise UsageError(f"cannot listen on {args.host}:{args.port}: {error.strerror or error}"
                         ) from None
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        print(f"squareone: warning: listening on {args.host}: anyone who can reach this "
              "address can use the playground and the CPU time it spends", file=sys.stderr)
    print(f"squareone playground: {server.url}  (Ctrl-C to stop)", flush=True)
    if args.browser:
        webbrowser.open(server.url)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        print("squareone playground: stopping", flush=True)
    finally:
        server.stopping.set()
        server.sessions.close_all()
        server.server_close()
    return EXIT_OK
