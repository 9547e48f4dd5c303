"""SweCRIS: the REST API, its saved files and export CSV, normalised into ``Project`` records."""
