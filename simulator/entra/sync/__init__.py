"""The Microsoft Graph synchronization API of a service principal: templates, jobs, secrets, schema."""
