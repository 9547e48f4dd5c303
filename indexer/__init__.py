"""The indexer: builds the Whoosh index from the record store and owns the search service.

Only this package imports whoosh.
"""
