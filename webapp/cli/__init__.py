"""The ``research-index`` command line, composed in one place: ``main`` assembles the
subcommands of ``harvest`` (harvest, import, reparse, sources, runs, quarantine) and ``index``
(index, search, stats, update, status), and ``exits`` maps every error to its exit code."""
