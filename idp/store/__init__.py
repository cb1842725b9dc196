"""Persistence: the database handle, the models, migrations support, backup, housekeeping, SQLite and pool tuning, rate-limit counters."""
