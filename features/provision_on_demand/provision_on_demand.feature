@provision_on_demand
Feature: Provision on demand
  The admin provisions one user (or a group of at most five members) at once, without waiting for the
  next cycle, and reads what happened step by step.

  Background:
    Given the GoToMeeting app is added from the gallery
    And the provisioning mode is set to Automatic
    And the admin authorizes with the GoToMeeting team administrator account
    And the user "B.Simon" exists in the tenant
    And "B.Simon" is assigned to GoToMeeting with the role "Organizer"

  Scenario: A user is provisioned on demand and the answer tells every step
    When the admin provisions "B.Simon" on demand
    Then the on-demand result is "Success" with the action "create"
    And the on-demand details list the steps "EntryImport, EntrySynchronizationScoping, EntryImportMatching, EntryExportAdd"
    And the on-demand details show "roles[primary eq "True"].value" set to "organizer"
    And the on-demand details hold 1 log entries
    And GoToMeeting has the user "b.simon@contoso.example" with role "organizer"
    And the provisioning log for "B.Simon" says "create" with status "success"
    And the job status is "NotConfigured"

  Scenario: Provisioning an unchanged user again is a redundant export
    When the admin provisions "B.Simon" on demand
    And the admin provisions "B.Simon" on demand
    Then the on-demand result is "Skipped" with the action "other"
    And the on-demand details give the skip reason "RedundantExport"
    And GoToMeeting has exactly 1 user named "b.simon@contoso.example"
    And the provisioning log for "B.Simon" says "skipped" with reason "RedundantExport"
    And the job status is "NotConfigured"

  Scenario: A user with Default Access is skipped on demand too
    Given the user "D.Efault" exists in the tenant
    And "D.Efault" is assigned to GoToMeeting with the role "Default Access"
    When the admin provisions "D.Efault" on demand
    Then the on-demand result is "Skipped" with the action "other"
    And the on-demand details give the skip reason "NotEffectivelyEntitled"
    And GoToMeeting has no user "d.efault@contoso.example"
    And the provisioning log for "D.Efault" says "skipped" with reason "NotEffectivelyEntitled"
    And the job status is "NotConfigured"

  Scenario: A group of up to five members is provisioned on demand
    Given the group "Sales" has 5 members
    And the group "Sales" is assigned to GoToMeeting with the role "Manager"
    When the admin provisions the group "Sales" on demand
    Then the on-demand result is "Success" with the action "other"
    And the on-demand details hold 5 log entries
    And GoToMeeting has the user "m0.ember@contoso.example" with role "manager"
    And GoToMeeting has the user "m4.ember@contoso.example" with role "manager"
    And the provisioning logs of "M0.Ember, M4.Ember" say "create" with status "success"
    And the job status is "NotConfigured"

  Scenario: A group of six members is too big for provision on demand
    Given the group "Sales" has 6 members
    And the group "Sales" is assigned to GoToMeeting with the role "Manager"
    When the admin provisions the group "Sales" on demand
    Then provision on demand is refused with 400 and "at most 5 members"
    And GoToMeeting has no user "m0.ember@contoso.example"
    And the job has written no provisioning log entry
    And the job status is "NotConfigured"

  Scenario: Provision on demand speaks the legacy dialect whatever the Tenant URL says
    Given the Tenant URL uses the aadOptscim062020 dialect
    And provisioning is turned on and the initial cycle runs
    And the display name of "B.Simon" is changed to "Barbara Simon"
    When the admin provisions "B.Simon" on demand
    Then Entra sent exactly one PATCH for "b.simon@contoso.example" with the operations [{"op":"Replace","path":"displayName","value":"Barbara Simon"}]
    And the on-demand result is "Success" with the action "update"
    And the on-demand details show "displayName" set to "Barbara Simon"
    And the provisioning log for "B.Simon" says "update" with status "success"
    And the job status is "Active"

  Scenario: Provision on demand works while provisioning is off
    Given provisioning is turned on and the initial cycle runs
    And the user "A.Lee" exists in the tenant
    And "A.Lee" is assigned to GoToMeeting with the role "Manager"
    When the admin turns provisioning off
    And the admin provisions "A.Lee" on demand
    Then the on-demand result is "Success" with the action "create"
    And GoToMeeting has the user "a.lee@contoso.example" with role "manager"
    And the provisioning log for "A.Lee" says "create" with status "success"
    And the job status is "Paused"

  Scenario: At most five calls in ten seconds
    When the admin provisions "B.Simon" on demand 6 times
    Then the first 5 on-demand calls succeed and the next one answers 429 with Retry-After
    When 10 virtual seconds pass
    And the admin provisions "B.Simon" on demand
    Then the on-demand result is "Skipped" with the action "other"
    And GoToMeeting has exactly 1 user named "b.simon@contoso.example"
    And the provisioning log for "B.Simon" says "skipped" with reason "RedundantExport"
    And the job status is "NotConfigured"
