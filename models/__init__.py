"""Persistence: typed tables, repositories returning plain values, and a unit of work."""
