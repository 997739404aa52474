@ui @portal
Feature: Provisioning in the admin center: Authorize in a popup window, Test Connection, Settings, Save
  The Provisioning page of the GoToMeeting enterprise app (the tutorial's steps 4-12, which both
  tutorial walks take with the team administrator): a plain GoTo member can authorize in the popup,
  but Test Connection then gives the tutorial's advice; the settings are checked before they are saved,
  and what the page saves, the synchronization API reads.

  Scenario: A plain GoTo member can authorize, but Test Connection gives the tutorial's advice
    Given the GoToMeeting app is added from the gallery
    And the admin has opened "Provisioning" of the app in the Microsoft Entra admin center
    When the admin clicks "Get started"
    And the admin selects "Automatic" in "Provisioning Mode"
    Then Admin Credentials show "Not authorized"
    When the admin clicks "Authorize" and signs in to GoToMeeting in the popup as a plain member
    Then Admin Credentials show "Authorized"
    When the admin clicks "Test Connection"
    Then a notification says "You appear to have entered invalid credentials."
    And a notification says "Make sure your GoToMeeting account has Team Admin permissions."
    And a notification says "Then select Authorize under Admin Credentials again."

  Scenario: The settings are checked before they are saved, and provisioning is turned on
    Given the GoToMeeting app is set up for automatic provisioning and authorized
    And the admin has opened "Provisioning" of the app in the Microsoft Entra admin center
    Then Admin Credentials show "Authorized"
    And the page shows "Synchronize Microsoft Entra users to GoToMeeting"
    When the admin ticks "Send an email notification when a failure occurs"
    And the admin enters "not-an-address" in "Notification Email"
    And the admin selects "On" in "Provisioning Status"
    And the admin clicks "Save"
    Then the page shows "Enter a valid email address, such as admin@contoso.com."
    And the page does not show "Synchronization details"
    And the provisioning job's schedule is "Disabled"
    When the admin enters "ops@contoso.example" in "Notification Email"
    And the admin clicks "Save"
    Then a notification says "Your changes to GoToMeeting were saved."
    And the page shows "Synchronization details"
    And the provisioning job's schedule is "Active"
