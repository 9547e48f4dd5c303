"""The sources: how a run fetches, normalises and commits them (``run``, ``http``, ``harvest``,
``saved_files``), and one room per source family (``swecris``, ``cerif``, ``oai``,
``facilities``); which sources exist is ``harvesters.core.sources``. Imports
``harvesters.core`` and ``harvesters.store``."""
