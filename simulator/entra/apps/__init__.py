"""Enterprise applications (SPEC §3.3): application templates, applications, service principals, app roles
and app role assignments."""
