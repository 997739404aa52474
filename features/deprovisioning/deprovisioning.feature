@deprovisioning
Feature: Deprovisioning
  Entra disables a user in GoToMeeting instead of deleting it, and deletes it only when the user is
  permanently deleted in Entra.

  Background:
    Given the GoToMeeting app is added from the gallery
    And the provisioning mode is set to Automatic
    And the admin authorizes with the GoToMeeting team administrator account
    And the user "B.Simon" exists in the tenant
    And "B.Simon" is assigned to GoToMeeting with the role "Organizer"
    And provisioning is turned on and the initial cycle runs

  Scenario: Unassigning a user disables it in GoToMeeting and frees the seat
    Given the GoToMeeting seats in use are noted
    When "B.Simon" is unassigned from GoToMeeting
    And 40 virtual minutes pass
    Then GoToMeeting shows "b.simon@contoso.example" as inactive
    And GoToMeeting has 1 seat fewer in use
    And the provisioning log for "B.Simon" says "disable" with status "success"

  Scenario: After unassignment the user is no longer managed
    When "B.Simon" is unassigned from GoToMeeting
    And 40 virtual minutes pass
    And "B.Simon" is deleted in Entra
    And "B.Simon" is permanently deleted in Entra
    And 40 virtual minutes pass
    Then GoToMeeting shows "b.simon@contoso.example" as inactive

  Scenario: Blocking sign-in disables the user
    When sign-in is blocked for "B.Simon"
    And 40 virtual minutes pass
    Then GoToMeeting shows "b.simon@contoso.example" as inactive
    And the provisioning log for "B.Simon" says "disable" with status "success"

  Scenario: A soft delete disables, a restore enables again
    When "B.Simon" is deleted in Entra
    And 40 virtual minutes pass
    Then GoToMeeting shows "b.simon@contoso.example" as inactive
    When "B.Simon" is restored from the recycle bin
    And 40 virtual minutes pass
    Then GoToMeeting shows "b.simon@contoso.example" as active
    And the provisioning log for "B.Simon" says "update" with status "success"

  Scenario: A permanent delete deletes the GoToMeeting user
    When "B.Simon" is deleted in Entra
    And 40 virtual minutes pass
    And "B.Simon" is permanently deleted in Entra
    And 40 virtual minutes pass
    Then GoToMeeting has no user "b.simon@contoso.example"
    And the provisioning log for "B.Simon" says "delete" with status "success"

  Scenario: Thirty days after a soft delete the user is deleted
    When "B.Simon" is deleted in Entra
    And 43200 virtual minutes pass
    And 40 virtual minutes pass
    Then GoToMeeting has no user "b.simon@contoso.example"
    And the provisioning log for "B.Simon" says "delete" with status "success"

  Scenario: With SkipOutOfScopeDeletions an unassigned user stays active
    Given the provisioning setting "SkipOutOfScopeDeletions" is "true"
    When "B.Simon" is unassigned from GoToMeeting
    And 40 virtual minutes pass
    Then GoToMeeting shows "b.simon@contoso.example" as active

  Scenario: A re-assigned user is matched again and enabled
    When "B.Simon" is unassigned from GoToMeeting
    And 40 virtual minutes pass
    And "B.Simon" is assigned to GoToMeeting with the role "Manager"
    And 40 virtual minutes pass
    Then GoToMeeting shows "b.simon@contoso.example" as active
    And GoToMeeting has the user "b.simon@contoso.example" with role "manager"
