"""The OpenAPI 3.1 description of the JSON API: the document and its status schemas, built from
the schema helpers of ``shapes``."""
