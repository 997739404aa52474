@test_connection
Feature: Test Connection
  Entra probes the target with a filter query for a random GUID and judges the answer.

  Background:
    Given the GoToMeeting app is added from the gallery
    And the provisioning mode is set to Automatic
    And the admin authorizes with the GoToMeeting team administrator account

  Scenario: The probe is a filter query for a random GUID, encoded as Entra encodes it
    When the admin clicks Test Connection
    Then Test Connection succeeds
    And the probe was "GET /scim/v2/Users?filter=userName+eq+%22<guid>%22" with a bearer token and no User-Agent

  Scenario: A target that answers 401 means invalid credentials
    Given GoToMeeting answers every SCIM request with status 401
    Then Test Connection fails with "You appear to have entered invalid credentials"

  Scenario: A target that answers 404 to an empty filter fails the compliance check
    Given the GoToMeeting quirk "empty_filter_404" is on
    Then Test Connection fails with "An HTTP/404 Not Found response was returned rather than the expected HTTP/200 OK response"

  Scenario: A target that answers 503 is unavailable
    Given GoToMeeting answers every SCIM request with status 503
    Then Test Connection fails with code "GoToMeetingCredentialValidationUnavailable"

  Scenario: An unreachable target is unavailable
    Given the Tenant URL is changed to an address where nothing listens
    Then Test Connection fails with code "GoToMeetingCredentialValidationUnavailable"

  Scenario: A 200 that is not a SCIM ListResponse is incompatible
    Given GoToMeeting answers every SCIM request with a malformed body
    Then Test Connection fails with code "GoToMeetingServiceIncompatible"

  Scenario: A member's token is refused with 403
    Given the admin authorizes with the GoToMeeting plain member account
    Then Test Connection fails with code "GoToMeetingInvalidCredentials"
