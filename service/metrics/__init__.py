"""Prometheus metrics read from the store by a custom collector."""
