@licenses
Feature: GoToMeeting organizer seats
  Every active GoToMeeting user holds an organizer seat. When the seats run out, GoToMeeting refuses the
  user with LicenseLimitExceeded; Entra escrows it and retries it in every cycle until a seat is free.

  Background:
    Given the GoToMeeting app is added from the gallery
    And the provisioning mode is set to Automatic
    And the admin authorizes with the GoToMeeting team administrator account
    And the users "B.Simon, A.Lee, C.Ole" are assigned to GoToMeeting with the role "Organizer"

  Scenario: The user beyond the last seat waits in escrow until the admin buys a seat
    Given GoToMeeting has 2 free organizer seats
    When provisioning is turned on and the initial cycle runs
    Then GoToMeeting has the users "B.Simon, A.Lee" as active organizers
    And GoToMeeting has no user "c.ole@contoso.example"
    And the provisioning log for "C.Ole" says "create" with status "failure" and error code "GoToMeetingLicenseLimitExceeded"
    And the latest failure of "C.Ole" quotes "LicenseLimitExceeded:"
    And the job's last execution state is "EntryLevelErrors"
    When 40 virtual minutes pass
    Then the latest failure of "C.Ole" has the code "GoToMeetingLicenseLimitExceeded" and was retried 1 times
    When the GoToMeeting admin buys 1 more seats
    And 40 virtual minutes pass
    Then GoToMeeting has the users "B.Simon, A.Lee, C.Ole" as active organizers
    And GoToMeeting has 0 free organizer seats
    And the job's last execution state is "Succeeded"

  Scenario: A user disabled in the same cycle frees the seat for the waiting one
    Given GoToMeeting has 2 free organizer seats
    And provisioning is turned on and the initial cycle runs
    When "A.Lee" is unassigned from GoToMeeting
    And 40 virtual minutes pass
    Then GoToMeeting shows the users "A.Lee" as inactive
    And GoToMeeting has the users "B.Simon, C.Ole" as active organizers
    And the provisioning log for "C.Ole" says "create" with status "success"
    And the job's last execution state is "Succeeded"

  Scenario: Enabling a user again needs a free seat
    Given provisioning is turned on and the initial cycle runs
    And sign-in is blocked for "A.Lee"
    And 40 virtual minutes pass
    And GoToMeeting has 0 free organizer seats
    When sign-in is allowed again for "A.Lee"
    And 40 virtual minutes pass
    Then the provisioning log for "A.Lee" says "update" with status "failure" and error code "GoToMeetingLicenseLimitExceeded"
    And the job's last execution state is "EntryLevelErrors"
    And GoToMeeting shows the users "A.Lee" as inactive
    When "C.Ole" is unassigned from GoToMeeting
    And 40 virtual minutes pass
    Then GoToMeeting shows the users "A.Lee" as active
    And GoToMeeting shows the users "C.Ole" as inactive
    And the provisioning log for "A.Lee" says "update" with status "success"
    And the job's last execution state is "Succeeded"
