@ui @portal
Feature: Provisioning logs and the overview of provisioning in the admin center
  The admin filters the provisioning logs on the page and reads an entry's details (the tutorial's Default
  Access user is skipped NotEffectivelyEntitled), sees the cycle's progress, and a quarantine's banner that
  Restart provisioning clears.

  Background:
    Given GoToMeeting provisions the tutorial's users "B.Simon" as Organizer and "D.Access" with Default Access in the initial cycle

  Scenario: The logs filtered on status Skipped show the Default Access user's skip and its details
    Given the admin has opened "Provisioning logs" of the app in the Microsoft Entra admin center
    Then the logs list "B.Simon" with the status "Success"
    When the admin selects "Skipped" in "Status"
    And the admin clicks "Apply"
    Then the logs list "D.Access" with the status "Skipped"
    And the table "Provisioning logs" has no row with "B.Simon"
    When the admin opens "D.Access"
    And the admin selects the tab "Troubleshooting & Recommendations"
    Then the tab "Troubleshooting & Recommendations" shows "NotEffectivelyEntitled"
    When the admin selects the tab "Steps"
    Then the tab "Steps" shows "EntrySynchronizationScoping"
    When the admin moves to the tab "Summary" with the arrow keys
    Then the tab "Summary" shows "Azure AD Provisioning Service"

  Scenario: A quarantine shows its banner with the reason, and Restart provisioning clears it
    Given GoToMeeting refuses the credentials and the next cycle puts the job in quarantine
    And the admin has opened "Provisioning" of the app in the Microsoft Entra admin center
    When the admin opens "View the provisioning overview"
    Then a notification says "The provisioning job is in quarantine"
    And the page shows "EncounteredQuarantineException"
    And the progress bar "complete" is at 0 %
    When the admin clicks "Restart provisioning"
    Then a notification says "Provisioning was restarted."
    And the page does not show "The provisioning job is in quarantine"
    And the job is no longer in quarantine
