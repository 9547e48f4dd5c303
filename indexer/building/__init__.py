"""Building index versions: full or incremental, on every core, validated, published with an
atomic swap, and the files the facility registry leaves beside a version. Imports the engine,
the documents and the registry."""
