"""The facility registry: one facility from many sources (grants grouped into facilities,
register records merged, hand-kept overrides), the links between facilities and projects with
their evidence, and the facility's index document. Imports ``indexer.documents`` and below."""
