"""What GoToMeeting publishes about itself on the RFC 7644 §4 discovery endpoints.

Built with scim2-models' ``ScimProvider`` from the resource models the server validates with, so the
published schemas are exactly the ones requests are checked against.

Simulator choices: PATCH and filtering are supported (at most 200 results per page, GoTo's page
limit); bulk, sorting, ETags and password changes are not; the one authentication scheme is an
OAuth bearer token (the token GoTo's sign-in issues, or a static SecretToken from the lab's admin API).
"""
from __future__ import annotations

from typing import Any

from scim2_models import (
    AuthenticationScheme,
    Bulk,
    ChangePassword,
    Context,
    ETag,
    Filter,
    Patch,
    ResourceType,
    ScimProvider,
    ServiceProviderConfig,
    Sort,
)

from .resources import (
    SCHEMA_NAMES,
    GoToEnterpriseUser,
    GoToUser,
    GoToUserExtension,
    GroupResource,
    UserResource,
)

DOCUMENTATION_URI = "https://developer.goto.com/admin"


def service_provider_config(max_results: int) -> ServiceProviderConfig:
    return ServiceProviderConfig(
        documentation_uri=DOCUMENTATION_URI,
        patch=Patch(supported=True),
        bulk=Bulk(supported=False, max_operations=0, max_payload_size=0),
        filter=Filter(supported=True, max_results=max_results),
        change_password=ChangePassword(supported=False),
        sort=Sort(supported=False),
        etag=ETag(supported=False),
        authentication_schemes=[AuthenticationScheme(
            type="oauthbearertoken",
            name="OAuth Bearer Token",
            description="An access token from GoTo's OAuth 2.0 sign-in, or a static SecretToken, "
                        "sent as 'Authorization: Bearer <token>'.",
            spec_uri="https://www.rfc-editor.org/info/rfc6750",
            documentation_uri=DOCUMENTATION_URI,
            primary=True,
        )],
    )


def provider(max_results: int) -> ScimProvider:
    return ScimProvider(
        models=[GoToUser, GoToEnterpriseUser, GoToUserExtension, GroupResource],
        resource_types=[ResourceType.from_resource(UserResource), ResourceType.from_resource(GroupResource)],
        config=service_provider_config(max_results),
    )


def _with_meta(payload: dict, resource_type: str, location: str) -> dict:
    payload["meta"] = {"resourceType": resource_type, "location": location}
    return payload


class Discovery:
    """The three discovery documents, rendered for a base URL (``.../scim/v2``).

    ``/Schemas`` and ``/ResourceTypes`` are collections: ``listing`` renders all of one, ``document``
    one of them by id (case-insensitively), or None.
    """

    COLLECTIONS = {"Schemas": "Schema", "ResourceTypes": "ResourceType"}

    def __init__(self, max_results: int):
        self.provider = provider(max_results)
        self._items = {
            "Schemas": {str(s.id).lower(): s for s in self.provider.schemas},
            "ResourceTypes": {str(t.id).lower(): t for t in self.provider.resource_types},
        }

    def config(self, base: str) -> dict:
        payload = self.provider.config.model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE)
        return _with_meta(payload, "ServiceProviderConfig", f"{base}/ServiceProviderConfig")

    def listing(self, collection: str, base: str) -> list[dict]:
        return [self._render(collection, item, base) for item in self._items[collection].values()]

    def document(self, collection: str, item_id: str, base: str) -> dict | None:
        found = self._items[collection].get(item_id.lower())
        return None if found is None else self._render(collection, found, base)

    def _render(self, collection: str, item: Any, base: str) -> dict:
        payload: dict[str, Any] = item.model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE)
        if collection == "Schemas":
            payload["name"], payload["description"] = SCHEMA_NAMES[str(item.id)]
        return _with_meta(payload, self.COLLECTIONS[collection], f"{base}/{collection}/{item.id}")
