"""Harvesters: fetch public records, normalise them into the shared model, keep them in the store.

Rooms, lowest first: ``core`` (the record model, settings, the source list, errors, the lock,
progress, the gazetteer), ``store`` (the SQLite record store) and ``sources`` (runs, HTTP and
one room per source family). Importing the package imports nothing heavy; HTTP (requests) and
XML (lxml) live in the modules that need them, and only in this package.
"""
