"""Text analysis, engine-neutral: tokens, stop words, stems and Swedish compounds.

What a word becomes in the index, said once, so the engine's analyzers, the query parser,
snippets and the compound splitter agree. Imports nothing of the indexer but its errors; the
only third-party code it uses is Whoosh's language data (``whoosh.lang``: Snowball stemmers and
stop lists, pure functions), never Whoosh's index.
"""
