"""Benchmarks: load, idle streams and review pages, measured on loopback (docs/performance.md)."""
