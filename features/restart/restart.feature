@restart
Feature: Restart provisioning, and the accidental-deletion threshold
  The admin restarts a job with a reset scope: Watermark (evaluate everything again), Escrows (forget
  failed objects), QuarantineState, ConnectorDataStore (forget which GoToMeeting user belongs to whom),
  ForceDeletes (let staged deletions through) or Full; the portal's "Restart provisioning" is Watermark,
  Escrows and QuarantineState.

  Background:
    Given the GoToMeeting app is added from the gallery
    And the provisioning mode is set to Automatic
    And the admin authorizes with the GoToMeeting team administrator account
    And the user "B.Simon" exists in the tenant
    And the user "A.Lee" exists in the tenant
    And "B.Simon" is assigned to GoToMeeting with the role "Organizer"
    And "A.Lee" is assigned to GoToMeeting with the role "Organizer"
    And provisioning is turned on and the initial cycle runs

  Scenario: The portal's Restart provisioning lifts the quarantine and looks at every user again
    When GoTo revokes every token of the team administrator
    And 80 virtual minutes pass
    And the admin authorizes with the GoToMeeting team administrator account
    And the admin restarts provisioning
    Then the job status is "Active"
    When 0 virtual minutes pass
    Then the last cycle ran at minute 80
    And the job is out of quarantine
    And the provisioning logs of "B.Simon, A.Lee" say "other" with status "skipped"
    And GoToMeeting has the users "B.Simon, A.Lee" as active organizers

  Scenario: Watermark evaluates every user again and keeps the links
    When the admin restarts provisioning with the reset scope "Watermark"
    And 0 virtual minutes pass
    Then every user was looked at again without a request ("RedundantExport")
    And the job's last execution state is "Succeeded"
    And GoToMeeting has the users "B.Simon, A.Lee" as active organizers

  Scenario: Escrows forgets the failed objects until they change again or everything is evaluated again
    Given GoToMeeting answers every SCIM PATCH request with status 500
    And the display name of "B.Simon" is changed to "Barbara Simon"
    When 40 virtual minutes pass
    Then the job's last execution escrowed 1 objects
    When GoToMeeting recovers
    And the admin restarts provisioning with the reset scope "Escrows"
    And 40 virtual minutes pass
    Then the job's last execution escrowed 0 objects
    And GoToMeeting shows "b.simon@contoso.example" with displayName "B.Simon"
    When the admin restarts provisioning with the reset scope "Watermark"
    And 0 virtual minutes pass
    Then GoToMeeting shows "b.simon@contoso.example" with displayName "Barbara Simon"
    And the provisioning log for "B.Simon" says "update" with status "success"
    And the job's last execution escrowed 0 objects

  Scenario: QuarantineState lifts the quarantine at once
    When GoTo revokes every token of the team administrator
    And 80 virtual minutes pass
    And the admin authorizes with the GoToMeeting team administrator account
    And the admin restarts provisioning with the reset scope "QuarantineState"
    Then the job status is "Active"
    When 0 virtual minutes pass
    Then the last cycle ran at minute 80
    And the job is out of quarantine
    And no provisioning log entry is later than minute 0
    And GoToMeeting has the users "B.Simon, A.Lee" as active organizers

  Scenario: ConnectorDataStore forgets the links, so every user is matched again
    Given the user "b.simon@contoso.example" is deleted in GoToMeeting behind Entra's back
    When the admin restarts provisioning with the reset scope "ConnectorDataStore"
    And 0 virtual minutes pass
    Then Entra matched "B.Simon, A.Lee" again by userName
    And the provisioning log for "B.Simon" says "create" with status "success"
    And the provisioning log for "A.Lee" says "other" with status "skipped"
    And GoToMeeting has exactly 1 user named "a.lee@contoso.example"
    And GoToMeeting has the users "B.Simon, A.Lee" as active organizers
    And the job's last execution state is "Succeeded"

  Scenario: More deletions than the threshold are staged and the job quarantined; ForceDeletes lets them through
    Given the accidental deletion threshold of the job is 1
    When the users "B.Simon, A.Lee" are unassigned from GoToMeeting
    And 40 virtual minutes pass
    Then the job status is "Quarantine" with reason "TooManyDeletes"
    And the provisioning logs of "B.Simon, A.Lee" say "stagedDelete" with status "skipped"
    And GoToMeeting shows the users "B.Simon, A.Lee" as active
    And the lab mailbox holds 1 quarantine notification for reason "TooManyDeletes"
    When 120 virtual minutes pass
    Then GoToMeeting shows the users "B.Simon, A.Lee" as active
    When the admin restarts provisioning with the reset scope "ForceDeletes"
    And 0 virtual minutes pass
    Then the provisioning logs of "B.Simon, A.Lee" say "disable" with status "success"
    And GoToMeeting shows the users "B.Simon, A.Lee" as inactive
    And the job is out of quarantine

  Scenario: Deletions up to the threshold go through
    Given the accidental deletion threshold of the job is 2
    When the users "B.Simon, A.Lee" are unassigned from GoToMeeting
    And 40 virtual minutes pass
    Then the provisioning logs of "B.Simon, A.Lee" say "disable" with status "success"
    And the job status is "Active"
    And GoToMeeting shows the users "B.Simon, A.Lee" as inactive

  Scenario: Full resets everything at once
    Given the accidental deletion threshold of the job is 0
    When "A.Lee" is unassigned from GoToMeeting
    And 40 virtual minutes pass
    Then the job status is "Quarantine" with reason "TooManyDeletes"
    When the admin restarts provisioning with the reset scope "Full"
    And 0 virtual minutes pass
    Then Entra matched "B.Simon" again by userName
    And the provisioning log for "A.Lee" says "disable" with status "success"
    And GoToMeeting shows the users "A.Lee" as inactive
    And the job is out of quarantine
