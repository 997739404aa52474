@failures
Feature: Failures are escrowed, explained in the logs and retried until nothing is lost
  When GoToMeeting misbehaves, Entra escrows the objects that failed, says in the provisioning logs why
  and when it tries again, and retries them in the following cycles until GoToMeeting has exactly what
  Entra wants.

  Background:
    Given the GoToMeeting app is added from the gallery
    And the provisioning mode is set to Automatic
    And the admin authorizes with the GoToMeeting team administrator account
    And the user "B.Simon" exists in the tenant
    And "B.Simon" is assigned to GoToMeeting with the role "Organizer"

  Scenario: A 503 on create is escrowed and the user is created in the next cycle
    Given GoToMeeting answers the next 1 SCIM POST requests with status 503
    When provisioning is turned on and the initial cycle runs
    Then the provisioning log for "B.Simon" says "create" with status "failure" and error code "GoToMeetingInternalServerError"
    And the latest failure of "B.Simon" has the code "GoToMeetingInternalServerError" and was retried 0 times
    And the latest failure of "B.Simon" will be retried at minute 40
    And the latest failure of "B.Simon" quotes "StatusCode: ServiceUnavailable"
    And the job's last execution state is "EntryLevelErrors"
    And the job's last execution escrowed 1 objects
    And GoToMeeting has no user "b.simon@contoso.example"
    When 40 virtual minutes pass
    Then the provisioning log for "B.Simon" says "create" with status "success"
    And GoToMeeting has the user "b.simon@contoso.example" with role "organizer"
    And the job's last execution state is "Succeeded"
    And the job's last execution escrowed 0 objects

  Scenario: A failing object is retried every cycle, counting its attempts, even though it does not change
    Given GoToMeeting answers the next 3 SCIM POST requests with status 500
    When provisioning is turned on and the initial cycle runs
    And 80 virtual minutes pass
    Then the latest failure of "B.Simon" has the code "GoToMeetingInternalServerError" and was retried 2 times
    And the latest failure of "B.Simon" will be retried at minute 120
    When 40 virtual minutes pass
    Then GoToMeeting has the user "b.simon@contoso.example" with role "organizer"
    And the job status is "Active"

  Scenario: A 429 is escrowed to the next cycle by default
    Given GoToMeeting answers the next 1 SCIM POST requests with 429 and Retry-After 30
    When provisioning is turned on and the initial cycle runs
    Then the provisioning log for "B.Simon" says "create" with status "failure" and error code "GoToMeetingTooManyRequests"
    And the last cycle ran at minute 0
    And the job's last execution state is "EntryLevelErrors"
    And GoToMeeting has no user "b.simon@contoso.example"
    When 40 virtual minutes pass
    Then GoToMeeting has the user "b.simon@contoso.example" with role "organizer"

  Scenario: With Retry-After honoured, a 429 is retried within the same cycle
    Given Entra honours Retry-After within the cycle
    And GoToMeeting answers the next 1 SCIM POST requests with 429 and Retry-After 30
    When provisioning is turned on and the initial cycle runs
    Then the provisioning log for "B.Simon" says "create" with status "success"
    And the log entry of "B.Simon" shows a retry after 30 seconds
    And GoToMeeting has the user "b.simon@contoso.example" with role "organizer"
    And the job's last execution state is "Succeeded"

  Scenario: A request that stalls past Entra's timeout fails with Timeout and is retried
    Given GoToMeeting stalls the next SCIM POST request past Entra's timeout
    When provisioning is turned on and the initial cycle runs
    Then the provisioning log for "B.Simon" says "create" with status "failure" and error code "GoToMeetingTimeout"
    And the job's last execution state is "EntryLevelErrors"
    When 40 virtual minutes pass
    Then GoToMeeting has exactly 1 user named "b.simon@contoso.example"
    And the job's last execution state is "Succeeded"

  Scenario: A connection reset fails the object and it is retried
    Given GoToMeeting resets the connection of the next SCIM GET request
    When provisioning is turned on and the initial cycle runs
    Then the provisioning log for "B.Simon" says "other" with status "failure" and error code "GoToMeetingServiceUnavailable"
    And the job's last execution state is "EntryLevelErrors"
    When 40 virtual minutes pass
    Then GoToMeeting has the user "b.simon@contoso.example" with role "organizer"
    And the job's last execution state is "Succeeded"

  Scenario: A malformed answer fails the object as ServiceIncompatible and it is retried
    Given GoToMeeting answers the next SCIM GET request with a malformed body
    When provisioning is turned on and the initial cycle runs
    Then the provisioning log for "B.Simon" says "other" with status "failure" and error code "GoToMeetingServiceIncompatible"
    And the job status is "Active"
    And GoToMeeting has no user "b.simon@contoso.example"
    When 40 virtual minutes pass
    Then GoToMeeting has the user "b.simon@contoso.example" with role "organizer"
    And the provisioning log for "B.Simon" says "create" with status "success"

  Scenario: A user name in a domain GoToMeeting has not verified fails with InvalidDomain
    Given the mapping of "userName" is changed to the expression "Append([mailNickname], \"@fabrikam.example\")"
    When provisioning is turned on and the initial cycle runs
    Then the provisioning log for "B.Simon" says "create" with status "failure" and error code "GoToMeetingInvalidDomain"
    And the latest failure of "B.Simon" quotes "is not verified"
    And the job's last execution state is "EntryLevelErrors"
    And GoToMeeting has no user "b.simon@fabrikam.example"

  Scenario: A user name another GoToMeeting user holds fails as a uniqueness conflict
    Given GoToMeeting already has the user "babs@contoso.example" named "Babs Other"
    And provisioning is turned on and the initial cycle runs
    When the user principal name of "B.Simon" is changed to "babs@contoso.example"
    And 40 virtual minutes pass
    Then the provisioning log for "B.Simon" says "update" with status "failure" and error code "GoToMeetingConflict"
    And the latest failure of "B.Simon" quotes "StatusCode: Conflict"
    And the job's last execution state is "EntryLevelErrors"
    And GoToMeeting shows "b.simon@contoso.example" as active
    And GoToMeeting shows "babs@contoso.example" with displayName "Babs Other"

  Scenario: A user removed from GoToMeeting behind Entra's back fails with InvalidAnchor, then is created again
    Given provisioning is turned on and the initial cycle runs
    And the user "b.simon@contoso.example" is deleted in GoToMeeting behind Entra's back
    And the display name of "B.Simon" is changed to "Barbara Simon"
    When 40 virtual minutes pass
    Then the provisioning log for "B.Simon" says "update" with status "failure" and error code "GoToMeetingInvalidAnchor"
    And the job's last execution state is "EntryLevelErrors"
    And GoToMeeting has no user "b.simon@contoso.example"
    When 40 virtual minutes pass
    Then the provisioning log for "B.Simon" says "create" with status "success"
    And GoToMeeting shows "b.simon@contoso.example" with displayName "Barbara Simon"
    And the job's last execution state is "Succeeded"

  Scenario: A required attribute without a value fails before anything is sent
    Given the mapping of "userName" is changed to the expression "[mail]"
    And the mail of "B.Simon" is cleared
    And the journal is marked
    When provisioning is turned on and the initial cycle runs
    Then the provisioning log for "B.Simon" says "create" with status "failure" and error code "GoToMeetingMandatoryFieldsMissing"
    And the latest failure of "B.Simon" quotes "requires userName"
    And the job's last execution state is "EntryLevelErrors"
    And Entra sent no SCIM request since the journal was marked
    And GoToMeeting has no user "b.simon@contoso.example"
