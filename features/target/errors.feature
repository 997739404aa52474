@target
Feature: Errors the target answers to Entra's client
  Entra reads the status and the SCIM Error body of a refusal: 409 uniqueness on a duplicate create,
  404 on an id the target does not know (Entra: InvalidAnchor), always as a SCIM Error whose status is a
  JSON string and with the media type application/scim+json. The requests are sent by the conformance
  client with Entra's own SCIM client: Entra's headers, Entra's bodies.

  Background:
    Given the non-gallery SCIM app is pointed at the target

  @rfc7644-3.3 @rfc7644-3.12
  Scenario: A second create of the same user is refused with 409 uniqueness
    Given the tenant user "B.Simon" is assigned to the app
    And provisioning is turned on and the initial cycle runs
    When the conformance client sends Entra's create of "B.Simon" again
    Then the target answers 409 with a SCIM error of scimType "uniqueness"

  @rfc7644-3.3 @rfc7644-3.12
  Scenario: A create whose userName differs only in letter case is refused with 409 uniqueness
    Given the tenant user "B.Simon" is assigned to the app
    And provisioning is turned on and the initial cycle runs
    When the conformance client sends Entra's create of "B.Simon" again with the userName in upper case
    Then the target answers 409 with a SCIM error of scimType "uniqueness"

  @rfc7644-3.12
  Scenario Outline: A request for an unknown id is answered 404 with a SCIM error: <request>
    When the conformance client sends <request> for an id the target never issued
    Then the target answers 404 with a SCIM error

    Examples:
      | request            |
      | GET /Users/{id}    |
      | PATCH /Users/{id}  |
      | GET /Groups/{id}   |
      | PATCH /Groups/{id} |

  @rfc7644-3.1
  Scenario: Every answer, errors included, is application/scim+json
    Given the tenant user "B.Simon" is assigned to the app
    And provisioning is turned on and the initial cycle runs
    When the conformance client sends GET /Users/{id} for an id the target never issued
    Then every answer of the target was "application/scim+json"
