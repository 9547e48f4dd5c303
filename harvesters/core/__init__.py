"""The shared core every package reads: the record model, configuration and the list of
sources, errors, the data folder's lock, progress reporting and the offline gazetteer.
Imports nothing of the other rooms (the standard library, and the gazetteer's data packages)."""
