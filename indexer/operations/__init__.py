"""Orchestration across packages: the unattended ``update`` (harvest every source, then index)
and ``up`` (everything a new user needs before the site can serve). The top of the indexer:
imports the harvesters' sources and store, and ``indexer.building``; nothing imports it but
the command line."""
