"""OAI-PMH 2.0: the protocol client, its responses as data, its error codes, and salvage."""
