"""The sources: which exist (``registry``), how a run fetches, normalises and commits them
(``run``, ``http``), and one room per source family (``swecris``, ``cerif``, ``oai``,
``facilities``). Imports ``harvesters.core`` and ``harvesters.store``."""
