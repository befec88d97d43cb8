"""Statistics of remitwatch: pure functions over arrays and frames (no I/O)."""
