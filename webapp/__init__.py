"""The web app and the ``research-index`` command: faceted search, detail pages, statistics,
the JSON API and CSV exports (Flask), and the command line that runs everything.

``create_app`` (``webapp.app``) is the factory; the site's modules are one per kind of page
(``pages``, ``facilities``, ``orgs``, ``stats``, ``exports``, ``api``, ``openapi/``) over the
search service of ``service``; ``cli/`` is the command line. Only this package imports flask.
"""

from webapp.app import create_app

__all__ = ["create_app"]
