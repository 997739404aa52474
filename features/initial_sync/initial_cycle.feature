@initial_sync
Feature: The initial provisioning cycle
  When provisioning is turned on, the initial cycle reads every user and group, provisions the assigned
  ones with a valid role and skips everybody else.

  Background:
    Given the GoToMeeting app is added from the gallery
    And the provisioning mode is set to Automatic
    And the admin authorizes with the GoToMeeting team administrator account

  Scenario: Assigned users and direct members of assigned groups are created, nested members are not
    Given the user "B.Simon" exists in the tenant
    And the user "A.Lee" exists in the tenant
    And the user "N.Ested" exists in the tenant
    And the user "U.Nassigned" exists in the tenant
    And the group "Sales" has the members "A.Lee"
    And the group "Sales EMEA" has the members "N.Ested"
    And the group "Sales EMEA" is a member of the group "Sales"
    And "B.Simon" is assigned to GoToMeeting with the role "Organizer"
    And the group "Sales" is assigned to GoToMeeting with the role "Organizer"
    When provisioning is turned on and the initial cycle runs
    Then GoToMeeting has the user "b.simon@contoso.example" with role "organizer"
    And GoToMeeting has the user "a.lee@contoso.example" with role "organizer"
    And GoToMeeting has no user "n.ested@contoso.example"
    And GoToMeeting has no user "u.nassigned@contoso.example"
    And the provisioning log for "N.Ested" says "skipped" with reason "NotEffectivelyEntitled"
    And the provisioning log for "U.Nassigned" says "skipped" with reason "NotEffectivelyEntitled"

  Scenario: A disabled user that was never provisioned is not created
    Given the disabled user "D.Isabled" exists in the tenant
    And "D.Isabled" is assigned to GoToMeeting with the role "Organizer"
    When provisioning is turned on and the initial cycle runs
    Then GoToMeeting has no user "d.isabled@contoso.example"
    And the provisioning log for "D.Isabled" says "skipped" with reason "NotEffectivelyEntitled"

  Scenario: A user who already exists in GoToMeeting is matched and updated, not duplicated
    Given the user "B.Simon" exists in the tenant
    And "B.Simon" is assigned to GoToMeeting with the role "Organizer"
    And GoToMeeting already has the user "B.Simon@contoso.example" named "Babs Simon"
    When provisioning is turned on and the initial cycle runs
    Then GoToMeeting has exactly 1 user named "b.simon@contoso.example"
    And GoToMeeting shows "b.simon@contoso.example" with displayName "B.Simon"
    And the provisioning log for "B.Simon" says "update" with status "success"

  Scenario: Two GoToMeeting users matching one Entra user fail with DuplicateTargetEntries
    Given the user "B.Simon" exists in the tenant
    And "B.Simon" is assigned to GoToMeeting with the role "Organizer"
    And GoToMeeting has the quirk "case_sensitive_username" on
    And GoToMeeting already has the user "b.simon@contoso.example" named "Babs Simon"
    And a second GoToMeeting user "B.SIMON@contoso.example" is created through SCIM
    And the GoToMeeting quirk "case_sensitive_username" is off
    When provisioning is turned on and the initial cycle runs
    Then the provisioning log for "B.Simon" says "other" with status "failure" and error code "GoToMeetingDuplicateTargetEntries"
    And the job's last execution state is "EntryLevelErrors"

  Scenario: Sync all users and groups provisions users without an assignment
    Given the user "B.Simon" exists in the tenant
    And the provisioning scope is "Sync all users and groups"
    When provisioning is turned on and the initial cycle runs
    Then the provisioning log for "B.Simon" says "create" with status "failure" and error code "GoToMeetingMandatoryFieldsMissing"
    And GoToMeeting has no user "b.simon@contoso.example"

  Scenario: The job status and counts after the initial cycle
    Given the user "B.Simon" exists in the tenant
    And the user "A.Lee" exists in the tenant
    And "B.Simon" is assigned to GoToMeeting with the role "Organizer"
    And "A.Lee" is assigned to GoToMeeting with the role "Manager"
    When provisioning is turned on and the initial cycle runs
    Then the job status is "Active"
    And the job's last execution state is "Succeeded"
    And the job's last execution counted 2 exports
    And the job reports 2 synchronized "User to User" entries
    And the next cycle is due at minute 40
