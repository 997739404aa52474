"""Entra as a SAML identity provider: configuration per service principal, certificates, sign-in, My Apps."""
