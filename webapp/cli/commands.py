"""The ``research-index`` console command: one entry point for every subcommand.

This module is the composition root: it gathers the subcommands of ``webapp.cli.harvest``
(harvesting and the store) and ``webapp.cli.index`` (index, search, statistics, update, status)
and the web ones (serve, up), sets up logging (plain or JSON lines) and resolves the
configuration once, then hands it to the chosen handler. Exit codes: ``webapp.cli.exits``.
"""

from __future__ import annotations

import argparse
import io
import json
import logging
import os
import select
import sys
from collections.abc import Sequence
from pathlib import Path

from harvesters.core.config import Config, load_config
from harvesters.core.errors import ConfigError
from indexer.building.versions import IndexLocation
from webapp.cli import harvest as harvest_cli
from webapp.cli import index as index_cli
from webapp.cli.exits import EXIT_OK, fail


class _JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return json.dumps(
            {
                "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
                "level": record.levelname.lower(),
                "logger": record.name,
                "message": record.getMessage(),
            },
            ensure_ascii=False,
        )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="research-index",
        description="Harvest, index and serve Swedish research projects and facilities.",
    )
    parser.add_argument(
        "--home", help="data folder (default: $RESEARCH_INDEX_HOME or ./index_data)"
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    parser.add_argument("--log-json", action="store_true", help="log as JSON lines")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    harvest_cli.register(sub)
    index_cli.register(sub)
    p = sub.add_parser("serve", help="serve the web site on a production WSGI server (waitress)")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--threads", type=int, default=8, help="worker threads (default 8)")
    p.set_defaults(handler=cmd_serve)
    p = sub.add_parser("up", help="bring the index up to date and serve the site (start here)")
    p.add_argument(
        "--from",
        dest="from_dir",
        type=Path,
        help="build from a folder of saved exports/responses instead of the network",
    )
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--threads", type=int, default=8)
    p.add_argument("--quiet", action="store_true", help="no progress output")
    p.set_defaults(handler=cmd_up)
    return parser


def cmd_serve(args: argparse.Namespace, config: Config) -> int:
    """Serve until interrupted. The site follows each newly published index by itself."""
    if IndexLocation(config.index_root).current_path() is None:
        logging.getLogger("research_index.web").warning(
            "no index is published yet: pages answer 503 until `research-index index`"
        )
    return _serve(config, args.host, args.port, args.threads)


def _serve(config: Config, host: str, port: int, threads: int) -> int:
    import waitress

    from webapp.app import create_app

    # A long-running server keeps answering from the open version while a new one loads.
    app = create_app({"INDEX_DIR": str(config.index_root), "SWITCH_IN_BACKGROUND": True})
    server = waitress.create_server(
        app,
        host=host,
        port=port,
        threads=threads,
        ident="research-index",
        channel_timeout=60,
        max_request_body_size=65536,
    )
    print(f"serving on http://{host}:{server.effective_port}/ (Ctrl-C to stop)", flush=True)
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
    return 0


def cmd_up(args: argparse.Namespace, config: Config) -> int:
    """Bring the index up to date (from saved files, or from the sources), then serve."""
    from indexer.operations.up import bring_up

    for line in bring_up(config, args.from_dir, quiet=args.quiet):
        print(line, flush=True)
    return _serve(config, args.host, args.port, args.threads)


def _setup_logging(verbose: bool, as_json: bool) -> None:
    handler = logging.StreamHandler(sys.stderr)
    if as_json:
        handler.setFormatter(_JsonFormatter())
    else:
        handler.setFormatter(
            logging.Formatter("%(asctime)s %(levelname)s %(message)s", "%Y-%m-%d %H:%M:%S")
        )
    root = logging.getLogger("research_index")
    root.handlers[:] = [handler]
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    root.propagate = True  # our handler answers; the root has none outside tests


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    _setup_logging(args.verbose, args.log_json)
    try:
        config = load_config(home=args.home)
    except ConfigError as exc:
        return fail(exc)
    try:
        code = int(args.handler(args, config))
        sys.stdout.flush()  # here, not at exit, where a closed pipe could not be caught
        return code
    except BrokenPipeError:
        if not _stdout_closed():  # a socket's, say: not the reader of our output
            raise
        _silence_stdout()  # the reader stopped reading (`| head`): end quietly
        return EXIT_OK


def _stdout_closed() -> bool:
    """Whether stdout is a pipe whose reader has gone."""
    try:
        poller = select.poll()
        poller.register(sys.stdout.fileno(), select.POLLOUT)
        return any(events & select.POLLERR for _fd, events in poller.poll(0))
    except (OSError, ValueError, io.UnsupportedOperation, AttributeError):
        return False


def _silence_stdout() -> None:
    """Point stdout at /dev/null, so the interpreter's last flush finds no closed pipe."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(devnull, sys.stdout.fileno())
        finally:
            os.close(devnull)
    except (OSError, ValueError, io.UnsupportedOperation):
        pass


if __name__ == "__main__":
    sys.exit(main())
