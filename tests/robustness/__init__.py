"""Robustness tests (issue 8): hostile input, source faults, crashes, web abuse, injection."""
