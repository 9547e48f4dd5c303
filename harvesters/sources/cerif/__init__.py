"""CERIF over OAI-PMH: one record's XML into an entity, entities linked into records, the run."""
