"""The people behind the keys: accounts, identities, invitations, email proof, ending sessions, the audit log."""
