"""Real loopback servers that replay the recorded public responses in ../shared/data."""
