"""Real identity providers on loopback for the SSO tests (built from pyop and pysaml2)."""
