@authorization
Feature: Authorize the GoToMeeting provisioning connection
  In the Provisioning page of the GoToMeeting enterprise app the admin sets the mode to Automatic and
  clicks Authorize. A popup shows GoTo's sign-in; after the sign-in Entra stores GoTo's tokens.

  Background:
    Given the GoToMeeting app is added from the gallery
    And the provisioning mode is set to Automatic

  Scenario: A team administrator authorizes and Test Connection succeeds
    When the admin authorizes with the GoToMeeting team administrator account
    Then the popup says "You can close this window"
    And Test Connection succeeds

  Scenario: A plain member authorizes, but Test Connection asks for Team Admin rights
    When the admin authorizes with the GoToMeeting plain member account
    Then the popup says "You can close this window"
    And Test Connection fails with "Make sure your GoToMeeting account has Team Admin permissions."

  Scenario: A wrong password keeps the popup on GoTo's sign-in page
    When the admin signs in to the Authorize popup as "goto.admin@contoso.example" with password "wrong"
    Then the popup shows GoTo's sign-in page with "Invalid email or password"
    And Test Connection fails with "You appear to have entered invalid credentials"

  Scenario: Declined consent is reported in the popup and stores nothing
    When the admin declines consent in the Authorize popup
    Then the popup says "access_denied"
    And Test Connection fails with "You appear to have entered invalid credentials"

  Scenario: A replayed authorization state is refused
    When the admin authorizes with the GoToMeeting team administrator account
    And the popup's callback is replayed
    Then the popup answers 400 with "already used"

  Scenario: An access token that expires between cycles is refreshed before the next cycle
    Given the user "B.Simon" exists in the tenant
    And "B.Simon" is assigned to GoToMeeting with the role "Organizer"
    And the admin authorizes with the GoToMeeting team administrator account
    And provisioning is turned on
    And the initial cycle has run
    When 120 virtual minutes pass
    Then Entra refreshed GoTo's access token before the cycle
    And the job status is "Active"
    And GoToMeeting has the user "b.simon@contoso.example" with role "organizer"

  Scenario: A revoked refresh token puts the job in quarantine
    Given the user "B.Simon" exists in the tenant
    And "B.Simon" is assigned to GoToMeeting with the role "Organizer"
    And the admin authorizes with the GoToMeeting team administrator account
    And provisioning is turned on
    And the initial cycle has run
    When GoTo revokes every token of the team administrator
    And 80 virtual minutes pass
    Then the job status is "Quarantine" with reason "EncounteredQuarantineException"
    And the job's last execution state is "Failed"
