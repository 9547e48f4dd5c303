"""The shared core every package reads: the record model, configuration, errors, the data lock
and progress reporting. Imports nothing above it (standard library only, but for TOML parsing)."""
