@target
Feature: Test Connection against the target
  Entra's Test Connection button probes the Tenant URL with a filter query for a random GUID and passes
  only when the target answers 200 with an empty SCIM ListResponse (Microsoft's
  Validate_Credentials_Test checks the same).

  Background:
    Given the non-gallery SCIM app is pointed at the target

  @entra-test-connection @rfc7644-3.4.2
  Scenario: Test Connection: the probe for a random GUID gets an empty ListResponse
    When the admin clicks Test Connection
    Then Test Connection succeeds
    And Entra's probe was a userName filter for a random GUID, without a User-Agent
