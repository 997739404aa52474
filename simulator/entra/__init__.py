"""Fake Microsoft Entra ID: app-only sign-in, Microsoft Graph (directory, enterprise applications, app role
assignments), and later the synchronization API and the provisioning engine."""
