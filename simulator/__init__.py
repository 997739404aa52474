"""Offline conformance lab for Microsoft Entra ID user provisioning (fake Entra ID + fake GoToMeeting)."""

__version__ = "0.1.0"
