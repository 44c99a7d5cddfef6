"""Benchmarks: scratch registries, bulk-grown ledgers, and the measurements ``registry bench`` prints."""
