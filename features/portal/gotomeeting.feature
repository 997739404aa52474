@ui @portal
Feature: The GoTo Admin Center: the team administrator sees what Entra provisioned
  GoTo's Admin Center on the GoToMeeting server signs in on GoTo's sign-in page (the Authorize popup's),
  lets only administrators in, and shows the account's users with their role and status and the
  GoToMeeting organizer seats.

  Scenario: The team administrator finds a provisioned organizer and the seats it holds
    Given Entra has provisioned "B.Simon" to GoToMeeting with the role "Organizer"
    And the team administrator signs in to the GoTo Admin Center
    Then the heading is "Users"
    And the users list shows "b.simon@contoso.example" with the role "Organizer"
    When the admin selects "Suspended" in "Status"
    And the admin clicks "Filter"
    Then the table "Users" has no row with "b.simon@contoso.example"
    When the admin opens "Licences"
    Then the licences show 3 seats used and 97 free of 100, as GoToMeeting counts them
    When the admin clicks "Sign out"
    Then the heading is "Sign in to the GoTo Admin Center"

  Scenario: A plain member of the GoTo account is refused
    When the plain member signs in to the GoTo Admin Center
    Then the heading is "No access"
    And the page does not show "Licences"
