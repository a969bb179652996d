"""Notes Summary executa (stdlib only)."""
