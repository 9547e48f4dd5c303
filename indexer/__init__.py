"""The indexer: builds the index from the record store and owns the one search service.

Rooms, lowest first (each imports only those before it): ``errors``; ``analysis`` (what a word
becomes); ``engine`` (the only Whoosh code, behind the door of ``indexer.engine``);
``documents`` (records into index documents); ``registry`` (the facility registry);
``building`` (versions built, validated, published); ``service`` (the search service, behind
the door of ``indexer.service``: what the web app and the command line use); ``operations``
(update and up, across packages). The README's Layout section has the whole map.
"""
