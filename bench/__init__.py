"""Benchmarks: they print figures and write bench/results.md. They are not tests."""
