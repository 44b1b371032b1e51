"""Provider webhooks turned into ingest records (pure parsing; no I/O)."""
