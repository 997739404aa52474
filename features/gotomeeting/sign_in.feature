@gotomeeting @oauth
Feature: Signing in to GoToMeeting in the Authorize popup
  When the admin clicks Authorize in the Entra portal, a popup shows GoTo's sign-in page. After sign-in
  GoTo redirects back to Entra with an authorization code, which Entra exchanges for tokens.

  Background:
    Given the GoToMeeting sign-in page is opened for the Entra provisioning client

  Scenario: A team administrator signs in and Entra receives tokens
    When the user signs in as the GoToMeeting team administrator and allows access
    Then GoToMeeting redirects back to Entra with an authorization code and the same state
    And the authorization code is exchanged for an access token and a refresh token
    And the access token is accepted by the SCIM API

  Scenario: An authorization code works only once
    When the user signs in as the GoToMeeting team administrator and allows access
    And the authorization code is exchanged for an access token and a refresh token
    Then exchanging the same authorization code again fails with "invalid_grant"
    And the access token is refused by the SCIM API with status 401

  Scenario: A wrong password keeps the popup on the sign-in page
    When the user signs in as "goto.admin@contoso.example" with password "not-the-password"
    Then the sign-in page is shown again with "Invalid email or password"

  Scenario: Declining consent sends the admin back to Entra with access_denied
    When the user signs in as the GoToMeeting team administrator and denies access
    Then GoToMeeting redirects back to Entra with error "access_denied" and the same state

  Scenario: A plain member can sign in but is not a team administrator
    When the user signs in as the GoToMeeting plain member and allows access
    And the authorization code is exchanged for an access token and a refresh token
    Then the access token is refused by the SCIM API with status 403 and "not a team administrator"

  Scenario: The refresh token is rotated on every refresh
    When the user signs in as the GoToMeeting team administrator and allows access
    And the authorization code is exchanged for an access token and a refresh token
    And the access token expires after 61 virtual minutes
    Then the access token is refused by the SCIM API with status 401
    When the refresh token is redeemed
    Then the new access token is accepted by the SCIM API
    And redeeming the old refresh token again fails with "invalid_grant"
