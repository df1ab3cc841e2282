"""Benchmarks: each prints its figures, the last line one JSON object (see docs/benchmarks.md)."""
