"""Text analysis, engine-neutral: what a word becomes in the index, said once.

Rooms: ``tokens`` (what a word is), ``words`` (stop lists, query-text normalisation),
``lemmas`` (Swedish lemmas and the Snowball stemmers), ``languages`` (the Swedish, English and
exact analyses built from them), ``compounds`` (Swedish compound splitting) and
``translations`` (the Swedish <-> English table learnt from title pairs). The engine's
analyzers, the fast writer, the query parser, snippets and "did you mean" all read these, so
they agree. Imports nothing of the indexer but its errors; its third-party code is language
data and arithmetic (simplemma's table, PyStemmer, Whoosh's stop lists in ``whoosh.lang``,
numpy), never Whoosh's index.
"""
