"""Cairn's conversations and domain rules as pure Python: no I/O, no clock, no frameworks."""
