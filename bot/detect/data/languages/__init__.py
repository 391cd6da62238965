"""Per-language data for identifying languages Cairn does not read, and their crisis word lists (see README.md)."""
