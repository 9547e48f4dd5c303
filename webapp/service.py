"""The search service of the running app: the one object every page, API route and export asks.

``create_app`` opens it (``app.extensions["search"]``); ``search_service(app)`` hands it out.
"""

from __future__ import annotations

from flask import Flask

from indexer.service import SearchService


def search_service(app: Flask) -> SearchService:
    service: SearchService = app.extensions["search"]
    return service
