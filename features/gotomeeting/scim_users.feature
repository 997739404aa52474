@gotomeeting @scim
Feature: GoToMeeting's SCIM provisioning API for users
  The GoToMeeting account's rules apply to every user Entra provisions: unique user names, verified
  email domains, a valid role, and one organizer seat per active user.

  Background:
    Given a SCIM token for the GoToMeeting team administrator

  Scenario: Create an organizer and read it back
    When a user "b.simon@contoso.example" is created with role "organizer"
    Then the SCIM API answers 201 with a Location header
    And the user "b.simon@contoso.example" is active with role "organizer"
    And filtering users by userName "B.Simon@Contoso.example" finds 1 user

  Scenario: A user name that exists in another letter case is refused
    Given a user "b.simon@contoso.example" is created with role "organizer"
    When a user "B.SIMON@contoso.example" is created with role "organizer"
    Then the SCIM API answers 409 with scimType "uniqueness"
    And filtering users by userName "b.simon@contoso.example" finds 1 user

  Scenario: A user in an unverified email domain is rejected
    When a user "eve@fabrikam.example" is created with role "organizer"
    Then the SCIM API answers 400 with scimType "invalidValue" and detail containing "is not verified"
    And filtering users by userName "eve@fabrikam.example" finds 0 users

  Scenario: A role GoToMeeting does not know is rejected
    When a user "b.simon@contoso.example" is created with role "admin"
    Then the SCIM API answers 400 with scimType "invalidValue"

  Scenario: Disabling a user with Entra's legacy PATCH frees the organizer seat
    Given a user "b.simon@contoso.example" is created with role "organizer"
    And the seats in use have grown by 1
    When the user "b.simon@contoso.example" is patched with the legacy disable operation
    Then the user "b.simon@contoso.example" is inactive
    And the seats in use have grown by 0
    And filtering users by userName "b.simon@contoso.example" finds 1 user

  Scenario: No free seat means LicenseLimitExceeded
    Given the account has exactly 1 free organizer seat
    And a user "b.simon@contoso.example" is created with role "organizer"
    When a user "a.lee@contoso.example" is created with role "organizer"
    Then the SCIM API answers 403 with detail starting "LicenseLimitExceeded:"
    And filtering users by userName "a.lee@contoso.example" finds 0 users

  Scenario: Deleting a user removes it
    Given a user "b.simon@contoso.example" is created with role "organizer"
    When the user "b.simon@contoso.example" is deleted
    Then the SCIM API answers 204
    And filtering users by userName "b.simon@contoso.example" finds 0 users
