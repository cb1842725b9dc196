"""The identity monitor: reads the CT log Fulcio writes to and the Rekor v2 log, verifies every checkpoint
and that each new one extends the last, and matches every certificate for this issuer to a signing login
Hallmark actually made (docs/monitoring.md)."""
