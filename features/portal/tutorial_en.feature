@ui @portal
Feature: The tutorial "Configure GoToMeeting for automatic user provisioning", step by step
  Microsoft Learn's twelve numbered steps in the admin center, in a real browser: B.Simon is assigned
  Default Access (a role that is not fit for provisioning) and is skipped, M.Bowen with a valid role
  arrives in GoToMeeting, and the next incremental cycle 40 minutes later keeps it that way.

  Scenario: The tutorial's twelve steps in the Microsoft Entra admin center
    Given the user "B.Simon" exists in the tenant
    And the user "M.Bowen" exists in the tenant
    # 1. Sign in to the Microsoft Entra admin center as at least a Cloud Application Administrator.
    When the admin signs in to the Microsoft Entra admin center as a Cloud Application Administrator
    # 2. Browse to Entra ID > Enterprise apps.
    And the admin opens "Enterprise apps"
    # 3. Select Add, search the gallery for GoToMeeting, select it in the results and add it to your list of applications.
    And the admin clicks "New application"
    And the admin enters "GoToMeeting" in "Search application"
    And the admin clicks "Search"
    And the admin opens "GoToMeeting"
    And the admin clicks "Create"
    Then the heading is "GoToMeeting | Overview"
    And a notification says "Successfully added application GoToMeeting."
    # Assigning users to GoToMeeting: a valid user role; the Default Access role does not work for provisioning.
    When the admin opens "Users and groups"
    And the admin clicks "Add user/group"
    And the admin ticks "B.Simon"
    And the admin ticks "Default Access"
    And the admin clicks "Assign"
    And the admin clicks "Add user/group"
    And the admin ticks "M.Bowen"
    And the admin ticks "Organizer"
    And the admin clicks "Assign"
    Then the table "Assigned users and groups" shows "B.Simon" with the role "Default Access"
    And the table "Assigned users and groups" shows "M.Bowen" with the role "Organizer"
    # 4. Select your GoToMeeting instance, then the Provisioning tab.
    When the admin opens "Provisioning"
    And the admin clicks "Get started"
    # 5. Set the Provisioning Mode to Automatic.
    And the admin selects "Automatic" in "Provisioning Mode"
    # 6. Under Admin Credentials, select Authorize and sign in to GoToMeeting in the popup window.
    And the admin clicks "Authorize" and signs in to GoToMeeting in the popup as the team administrator
    Then Admin Credentials show "Authorized"
    # 7. Select Test Connection.
    When the admin clicks "Test Connection"
    Then a notification says "The supplied credentials are authorized to enable provisioning"
    # 8. Select Save.
    When the admin clicks "Save"
    Then a notification says "Your changes to GoToMeeting were saved."
    # 9. Under the Mappings section, select Synchronize Microsoft Entra users to GoToMeeting.
    When the admin opens "Synchronize Microsoft Entra users to GoToMeeting"
    # 10. Review the user attributes and the matching properties under Attribute Mappings; Save to commit changes.
    Then the heading is "GoToMeeting | Attribute Mapping"
    And the attribute mapping "userName" maps "userPrincipalName" with matching precedence 1
    When the admin clicks "Save"
    And the admin opens "Provisioning"
    # 11. Change the Provisioning Status to On in the Settings section.
    And the admin selects "On" in "Provisioning Status"
    # 12. Select Save.
    And the admin clicks "Save"
    Then a notification says "Your changes to GoToMeeting were saved."
    And the page shows "Synchronization details"
    # This starts the initial synchronization; its progress shows in the Synchronization details section.
    When 0 virtual minutes pass
    And the admin opens "Provisioning logs"
    Then the logs list "M.Bowen" with the status "Success"
    And the logs list "B.Simon" with the status "Skipped"
    When the admin opens "B.Simon"
    And the admin selects the tab "Troubleshooting & Recommendations"
    Then the tab "Troubleshooting & Recommendations" shows "NotEffectivelyEntitled"
    And GoToMeeting has the user "m.bowen@contoso.example" with role "organizer"
    And GoToMeeting has no user "b.simon@contoso.example"
    # Later cycles run about every 40 minutes.
    When 40 virtual minutes pass
    And the admin opens "Enterprise apps"
    And the admin opens "GoToMeeting"
    And the admin opens "Provisioning"
    Then the page shows "Incremental cycle completed."
    And the page shows "Steady state achieved"
    And the page shows "1 of 1 provisioned"
