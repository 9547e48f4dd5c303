"""Harvesters: fetch public records, normalise them into the shared model, keep them in the store.

Importing the package imports nothing heavy; HTTP (requests) and XML (lxml) live in the modules
that need them, and only in this package.
"""
