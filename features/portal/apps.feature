@ui @portal
Feature: Enterprise apps in the admin center: who may use GoToMeeting
  On Users and groups of the GoToMeeting app (added from the gallery, as the tutorials do it on the
  pages) the admin searches users, assigns them with a role from the app's roles, sees the role column
  and removes an assignment. What the page does, Graph sees.

  Scenario: The admin assigns users with their roles and removes an assignment
    Given the user "B.Simon" exists in the tenant
    And the user "M.Bowen" exists in the tenant
    And the GoToMeeting app is added from the gallery
    And the admin has opened "Users and groups" of the app in the Microsoft Entra admin center
    When the admin clicks "Add user/group"
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
