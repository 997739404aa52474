@ui @portal
Feature: Provisioning in the admin center: Authorize in a popup window, Test Connection, Settings, Save
  The tutorial's steps 4-12 on the Provisioning page of the GoToMeeting enterprise app: Get started,
  Provisioning Mode Automatic, Authorize (GoTo's sign-in in a real second window), Test Connection,
  Save, Provisioning Status On, Save. What the page saves, the synchronization API reads.

  Background:
    Given the GoToMeeting app is added from the gallery
    And the admin is signed in to the Microsoft Entra admin center as a Cloud Application Administrator
    When the admin opens "GoToMeeting"
    And the admin opens "Provisioning"
    And the admin clicks "Get started"
    And the admin selects "Automatic" in "Provisioning Mode"
    Then Admin Credentials show "Not authorized"

  Scenario: The team administrator authorizes in the popup, the connection works, provisioning is turned on
    When the admin clicks "Authorize" and signs in to GoToMeeting in the popup as the team administrator
    Then Admin Credentials show "Authorized"
    And the page shows "Provisioning Mode"
    When the admin clicks "Test Connection"
    Then a notification says "The supplied credentials are authorized to enable provisioning"
    When the admin clicks "Save"
    Then a notification says "Your changes to GoToMeeting were saved."
    And the page shows "Synchronize Microsoft Entra users to GoToMeeting"
    When the admin ticks "Send an email notification when a failure occurs"
    And the admin enters "not-an-address" in "Notification Email"
    And the admin selects "On" in "Provisioning Status"
    And the admin clicks "Save"
    Then the page shows "Enter a valid email address, such as admin@contoso.com."
    And the page does not show "Synchronization details"
    When the admin enters "ops@contoso.example" in "Notification Email"
    And the admin clicks "Save"
    Then a notification says "Your changes to GoToMeeting were saved."
    And the page shows "Synchronization details"
    And the provisioning job's schedule is "Active"

  Scenario: A plain GoTo member can authorize, but Test Connection gives the tutorial's advice
    When the admin clicks "Authorize" and signs in to GoToMeeting in the popup as a plain member
    Then Admin Credentials show "Authorized"
    When the admin clicks "Test Connection"
    Then a notification says "You appear to have entered invalid credentials."
    And a notification says "Make sure your GoToMeeting account has Team Admin permissions."
    And a notification says "Then select Authorize under Admin Credentials again."
