@quarantine
Feature: Quarantine
  A job that cannot work (refused credentials, a target that is not SCIM-compliant, too many failures) is
  put in quarantine: it is retried 6, 12 and 24 hours after the quarantine began and then daily, the
  admin gets one e-mail, any successful cycle lifts it, and after four weeks the job is disabled.
  (Minutes count from the start of the scenario.)

  Background:
    Given the GoToMeeting app is added from the gallery
    And the provisioning mode is set to Automatic
    And the admin authorizes with the GoToMeeting team administrator account
    And the user "B.Simon" exists in the tenant
    And "B.Simon" is assigned to GoToMeeting with the role "Organizer"
    And provisioning is turned on and the initial cycle runs

  Scenario: Refused credentials quarantine the job at once, with one e-mail and the retry schedule
    When GoTo revokes every token of the team administrator
    And 80 virtual minutes pass
    Then the job status is "Quarantine" with reason "EncounteredQuarantineException"
    And the job is in quarantine since minute 80 with the next attempt at minute 440
    And the quarantine was imposed 1 times, the last time at minute 80
    And the quarantine error says "The credentials for GoToMeeting were refused"
    And the job's last execution state is "Failed"
    And the lab mailbox holds 1 quarantine notification for reason "EncounteredQuarantineException"
    And no provisioning log entry is later than minute 0
    And GoToMeeting has the user "b.simon@contoso.example" with role "organizer"
    When 359 virtual minutes pass
    Then the last cycle ran at minute 80
    When 1 virtual minute passes
    Then the last cycle ran at minute 440
    And the job is in quarantine since minute 80 with the next attempt at minute 800
    And the quarantine was imposed 2 times, the last time at minute 440
    When 360 virtual minutes pass
    Then the job is in quarantine since minute 80 with the next attempt at minute 1520
    When 720 virtual minutes pass
    Then the job is in quarantine since minute 80 with the next attempt at minute 2960
    When 1440 virtual minutes pass
    Then the job is in quarantine since minute 80 with the next attempt at minute 4400
    And the quarantine was imposed 5 times, the last time at minute 2960
    And the lab mailbox holds 1 quarantine notification for reason "EncounteredQuarantineException"

  Scenario: Authorizing again lifts the quarantine at the next attempt
    When GoTo revokes every token of the team administrator
    And 80 virtual minutes pass
    And the admin authorizes with the GoToMeeting team administrator account
    And the display name of "B.Simon" is changed to "Barbara Simon"
    And 360 virtual minutes pass
    Then the last cycle ran at minute 440
    And the job is out of quarantine
    And GoToMeeting shows "b.simon@contoso.example" with displayName "Barbara Simon"
    And the provisioning log for "B.Simon" says "update" with status "success"
    And the next cycle runs at minute 480

  Scenario: Turning provisioning on again clears the quarantine and runs a cycle now
    When GoTo revokes every token of the team administrator
    And 80 virtual minutes pass
    And the admin authorizes with the GoToMeeting team administrator account
    And the display name of "B.Simon" is changed to "Barbara Simon"
    And the admin turns provisioning on again
    And 0 virtual minutes pass
    Then the last cycle ran at minute 80
    And the job is out of quarantine
    And the provisioning log for "B.Simon" says "update" with status "success"
    And GoToMeeting shows "b.simon@contoso.example" with displayName "Barbara Simon"

  Scenario: After four weeks in quarantine the job is disabled
    When GoTo revokes every token of the team administrator
    And 80 virtual minutes pass
    And 40319 virtual minutes pass
    Then the job status is "Quarantine" with reason "EncounteredQuarantineException"
    And the job is in quarantine since minute 80 with the next attempt at minute 40400
    When 1 virtual minute passes
    Then the last cycle ran at minute 40400
    And the job is disabled
    When 2880 virtual minutes pass
    Then the last cycle ran at minute 40400
    And the lab mailbox holds 1 quarantine notification for reason "EncounteredQuarantineException"
    And no provisioning log entry is later than minute 0
    And GoToMeeting has the user "b.simon@contoso.example" with role "organizer"

  Scenario: A filter query answered with 404 quarantines the job like Test Connection's compliance check
    Given the GoToMeeting quirk "empty_filter_404" is on
    And the user "A.Lee" exists in the tenant
    And "A.Lee" is assigned to GoToMeeting with the role "Manager"
    When 40 virtual minutes pass
    Then the job status is "Quarantine" with reason "EncounteredQuarantineException"
    And the quarantine error says "An HTTP/404 Not Found response was returned rather than the expected HTTP/200 OK"
    And the provisioning log for "A.Lee" says "other" with status "failure" and error code "GoToMeetingNotFoundInsteadOfEmptyList"
    And the job is in quarantine since minute 40 with the next attempt at minute 400
    And the lab mailbox holds 1 quarantine notification for reason "EncounteredQuarantineException"

  Scenario: Too many failing objects quarantine the job; it is lifted once GoToMeeting recovers
    Given the users "A.Lee, C.Ole" are assigned to GoToMeeting with the role "Organizer"
    And 40 virtual minutes pass
    And the escrow thresholds are lowered to 2 failures and 40 percent
    And GoToMeeting answers every SCIM PATCH request with status 500
    And the display name of "B.Simon" is changed to "Barbara Simon"
    And the display name of "A.Lee" is changed to "Alex Lee"
    When 40 virtual minutes pass
    Then the job status is "Quarantine" with reason "EncounteredEscrowProportionThreshold"
    And the job is in quarantine since minute 80 with the next attempt at minute 440
    And the job's last execution escrowed 2 objects
    And the lab mailbox holds 1 quarantine notification for reason "EncounteredEscrowProportionThreshold"
    And the provisioning log for "B.Simon" says "update" with status "failure" and error code "GoToMeetingInternalServerError"
    And GoToMeeting shows "b.simon@contoso.example" with displayName "B.Simon"
    When GoToMeeting recovers
    And 360 virtual minutes pass
    Then the job is out of quarantine
    And GoToMeeting shows "b.simon@contoso.example" with displayName "Barbara Simon"
    And GoToMeeting shows "a.lee@contoso.example" with displayName "Alex Lee"

  Scenario: A new quarantine reason sends a new e-mail
    Given the users "A.Lee, C.Ole" are assigned to GoToMeeting with the role "Organizer"
    And 40 virtual minutes pass
    And the escrow thresholds are lowered to 2 failures and 40 percent
    And GoToMeeting answers every SCIM PATCH request with status 500
    And the display name of "B.Simon" is changed to "Barbara Simon"
    And the display name of "A.Lee" is changed to "Alex Lee"
    And 40 virtual minutes pass
    When the total escrow threshold is lowered to 1 failures
    And 360 virtual minutes pass
    Then the job status is "Quarantine" with reason "EncounteredTotalEscrowThreshold"
    And the quarantine was imposed 2 times, the last time at minute 440
    And the lab mailbox holds 1 quarantine notification for reason "EncounteredEscrowProportionThreshold"
    And the lab mailbox holds 1 quarantine notification for reason "EncounteredTotalEscrowThreshold"
    And the latest failure of "A.Lee" has the code "GoToMeetingInternalServerError" and was retried 1 times
    And GoToMeeting shows "a.lee@contoso.example" with displayName "A.Lee"

  Scenario: Too many failures in the initial cycle prune the escrows and pause the job instead
    Given the users "A.Lee, C.Ole" are assigned to GoToMeeting with the role "Organizer"
    And the escrow thresholds are lowered to 2 failures and 40 percent
    And GoToMeeting answers every SCIM POST request with status 500
    When the admin restarts provisioning with the reset scope "Full"
    And 0 virtual minutes pass
    Then the job is paused with its escrows pruned
    And the lab mailbox holds 0 notifications
    And the provisioning logs of "A.Lee, C.Ole" say "create" with status "failure"
    And GoToMeeting has no user "a.lee@contoso.example"
    When 120 virtual minutes pass
    Then the last cycle ran at minute 0
