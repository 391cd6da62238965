"""Bundled instrument files, one JSON file per instrument."""
