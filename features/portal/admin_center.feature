@ui @portal
Feature: The Microsoft Entra admin center: who gets in, and in which language
  The admin center's pages need at least Cloud Application Administrator; the language follows the
  browser and the switch on every page.

  Scenario: A Cloud Application Administrator signs in and finds the enterprise apps
    Given the GoToMeeting app is added from the gallery
    When the admin signs in to the Microsoft Entra admin center as a Cloud Application Administrator
    Then the page shows "Signed in as cloud.admin@contoso.example"
    When the admin enters "GoTo" in "Search by application name or object ID"
    And the admin clicks "Search"
    Then the table "Enterprise applications" has a row with "GoToMeeting"
    When the admin opens "Deutsch"
    Then the heading is "Enterprise-Apps | Alle Anwendungen"
    When the admin opens "Abmelden"
    Then the heading is "Anmelden"

  Scenario: A user without an admin role sees Entra's no-access page
    Given the user "B.Simon" exists in the tenant
    When "B.Simon" signs in to the Microsoft Entra admin center
    Then the heading is "No access"
    And the page shows "Cloud Application Administrator role"
