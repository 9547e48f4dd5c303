"""Importers of public facility registers, one module per concern.

- ``places``: the offline gazetteer (country, region and town of a point or a town name);
- ``access``: who may use a facility (companies, academia, both) from its access texts;
- ``addresses``: the town of a free-form postal address, when it is clear;
- ``common``: what the importers share (reading a payload, ids, coordinates, descriptions);
- ``meril``, ``esfri``, ``lightsources``, ``scilifelab``: one ``Parser`` per source kind for
  ``harvesters.sources.run.ingest``;
- ``detect``: which of these formats a saved file holds, by its content.

Hand-kept facility lists stay in ``harvesters.sources.facilities.lists``; they use ``places`` and
``access`` too.
"""
