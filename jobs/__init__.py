"""remitwatch jobs: sources, validation, ingest and series derivation."""
