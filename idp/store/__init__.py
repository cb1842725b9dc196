"""Persistence: the database handle, the models, state enums, backup, housekeeping, SQLite and pool tuning,
rate-limit counters."""
