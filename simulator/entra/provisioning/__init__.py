"""The provisioning engine of the fake Entra ID (SPEC §3.7) and its pure building blocks.

* ``expressions`` - Entra's attribute-mapping expression language (parser, evaluator, the source object).
* ``mappings`` - synchronization schemas as data: defaults per template, validation, target values,
  matching attributes, scoping filters.
* ``dialects`` - the two SCIM wire dialects (legacy and ``aadOptscim062020``): request bodies and queries.
* ``target`` - the HTTP client through which the engine talks to its SCIM target.
"""
