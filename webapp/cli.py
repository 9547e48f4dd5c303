"""The ``research-index`` console command: one entry point for every subcommand.

This module is the composition root: it gathers the subcommands each package registers
(``harvesters.cli``, later ``indexer.cli``) and the web ones, sets up logging (plain or JSON
lines) and resolves the configuration once, then hands it to the chosen handler.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence

from harvesters import cli as harvest_cli
from harvesters.config import Config, load_config
from harvesters.errors import ConfigError
from indexer import cli as index_cli
from indexer.versions import IndexLocation


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
    return parser


def cmd_serve(args: argparse.Namespace, config: Config) -> int:
    """Serve until interrupted. The site follows each newly published index by itself."""
    import waitress

    from webapp import create_app

    app = create_app({"INDEX_DIR": str(config.index_root)})
    log = logging.getLogger("research_index.web")
    if IndexLocation(config.index_root).current_path() is None:
        log.warning("no index is published yet: pages answer 503 until `research-index index`")
    print(f"serving on http://{args.host}:{args.port}/ (Ctrl-C to stop)", flush=True)
    waitress.serve(
        app,
        host=args.host,
        port=args.port,
        threads=args.threads,
        ident="research-index",
        channel_timeout=60,
        max_request_body_size=65536,
    )
    return 0


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
        print(f"error: {exc}", file=sys.stderr)
        return harvest_cli.EXIT_CONFIG
    return int(args.handler(args, config))


if __name__ == "__main__":
    sys.exit(main())
