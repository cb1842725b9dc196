"""The people behind the keys: accounts, identities, invitations, the audit log."""
