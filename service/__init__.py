"""remitwatch service shell: the store, the command line (and later the API and metrics)."""
