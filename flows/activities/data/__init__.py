"""Cairn's activity taxonomy (taxonomy.json), read with flows.activities.taxonomy."""
