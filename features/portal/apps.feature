@ui @portal
Feature: Enterprise apps in the admin center: GoToMeeting from the gallery, and who may use it
  The admin adds GoToMeeting from the Microsoft Entra Gallery, then assigns users on Users and groups
  with a role from the app's roles, sees the role column and removes an assignment. What the page does,
  Graph sees.

  Scenario: The admin adds GoToMeeting from the gallery and assigns users with their roles
    Given the user "B.Simon" exists in the tenant
    And the user "M.Bowen" exists in the tenant
    And the admin signs in to the Microsoft Entra admin center as a Cloud Application Administrator
    When the admin clicks "New application"
    And the admin enters "GoToMeeting" in "Search application"
    And the admin clicks "Search"
    And the admin opens "GoToMeeting"
    And the admin clicks "Create"
    Then the heading is "GoToMeeting | Overview"
    And a notification says "Successfully added application GoToMeeting."
    When the admin opens "Users and groups"
    And the admin clicks "Add user/group"
    And the admin enters "Simon" in "Search users and groups"
    And the admin clicks "Search"
    And the admin ticks "B.Simon"
    And the admin ticks "Default Access"
    And the admin clicks "Assign"
    Then a notification says "1 user or group was assigned to GoToMeeting."
    When the admin clicks "Add user/group"
    And the admin ticks "M.Bowen"
    And the admin ticks "Organizer"
    And the admin clicks "Assign"
    Then the table "Assigned users and groups" shows "B.Simon" with the role "Default Access"
    And the table "Assigned users and groups" shows "M.Bowen" with the role "Organizer"
    And Graph lists the assignments of "GoToMeeting" as "B.Simon: msiam_access, M.Bowen: Organizer"
    When the admin ticks "Select M.Bowen (Organizer)"
    And the admin clicks "Remove"
    And the admin clicks "Yes"
    Then a notification says "1 assignment was removed from GoToMeeting."
    And the table "Assigned users and groups" has no row with "M.Bowen"
    And Graph lists the assignments of "GoToMeeting" as "B.Simon: msiam_access"
