"""The ``research-index`` command line, composed in one place: ``commands`` assembles the
subcommands of ``harvest`` (harvest, import, reparse, sources, runs, quarantine), ``index``
(index, search, stats, update, status) and the web ones (serve, up), and ``exits`` maps every
error to its exit code. ``main`` is the console script's entry point."""

from webapp.cli.commands import main

__all__ = ["main"]
