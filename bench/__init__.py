"""Benchmarks (make bench): the API against raw SQL on the same data, in one run. Never part of make test."""
