"""The web app: faceted search, detail pages, statistics, JSON API and CSV export (Flask).

Only this package imports flask. ``webapp.cli`` is also the composition root of the one
console command, ``research-index``.
"""
