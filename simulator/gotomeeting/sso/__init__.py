"""GoTo as a SAML service provider: Identity Provider settings and the Assertion Consumer Service."""
