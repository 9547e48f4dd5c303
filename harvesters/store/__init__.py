"""The record store: one SQLite file of normalised records, raw payloads, runs and quarantine,
with the read-only scans the index builder uses. Imports only ``harvesters.core``."""
