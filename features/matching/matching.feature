@matching
Feature: Matching against a server that ignores filters
  Before it creates a user, Entra asks the target for an account with the same userName and trusts the
  answer. A SCIM server that ignores `filter` answers that query with every account it holds: with one
  account, Entra links that unrelated account, overwrites it with the Entra user and disables it on
  deprovisioning; with several, every match fails as a duplicate. The lab's GoToMeeting shows what real
  Entra does to such a server with the quirk "ignore_filters".

  Background:
    Given the GoToMeeting app is added from the gallery
    And the provisioning mode is set to Automatic
    And the admin authorizes with the GoToMeeting team administrator account
    And the user "B.Simon" exists in the tenant
    And "B.Simon" is assigned to GoToMeeting with the role "Organizer"

  Scenario: The only account GoToMeeting holds is matched, overwritten and then disabled
    Given every GoToMeeting account but "goto.admin@contoso.example" is removed
    And GoToMeeting has the quirk "ignore_filters" on
    When provisioning is turned on and the initial cycle runs
    Then the provisioning log for "B.Simon" says "update" with status "success"
    And the provisioning log for "B.Simon" shows the match with the GoToMeeting account "goto.admin@contoso.example"
    And Entra created no user in GoToMeeting
    And the GoToMeeting account "goto.admin@contoso.example" now has the userName "b.simon@contoso.example"
    When "B.Simon" is unassigned from GoToMeeting
    And 40 virtual minutes pass
    Then the provisioning log for "B.Simon" says "disable" with status "success"
    And the GoToMeeting account "goto.admin@contoso.example" is suspended

  Scenario: With several accounts every match is a duplicate and nothing is written
    Given GoToMeeting already has the user "someone@contoso.example" named "Some One"
    And GoToMeeting's accounts are noted
    And GoToMeeting has the quirk "ignore_filters" on
    When provisioning is turned on and the initial cycle runs
    Then the provisioning log for "B.Simon" says "other" with status "failure" and error code "GoToMeetingDuplicateTargetEntries"
    And Entra created no user in GoToMeeting
    And GoToMeeting's noted accounts are unchanged
