@ui @portal
Feature: Attribute mappings in the admin center (the tutorial's steps 9 and 10)
  In the Mappings section the admin selects "Synchronize Microsoft Entra users to GoToMeeting", reviews
  the user attributes synchronized to GoToMeeting and the matching attribute, edits a mapping and saves:
  the page writes the schema through the synchronization API, and the next cycle uses it.

  Scenario: Review the attribute mappings and the matching attribute, edit one and save
    Given the GoToMeeting app is set up for automatic provisioning and authorized
    And the user "B.Simon" exists in the tenant
    And "B.Simon" is assigned to GoToMeeting with the role "Organizer"
    And the admin has opened "Provisioning" of the app in the Microsoft Entra admin center
    When the admin opens "Synchronize Microsoft Entra users to GoToMeeting"
    Then the heading is "GoToMeeting | Attribute Mapping"
    And the attribute mapping "userName" maps "userPrincipalName" with matching precedence 1
    And the attribute mapping "displayName" maps "displayName" and is not used for matching
    When the admin clicks "Edit displayName"
    And the admin selects "Constant" in "Mapping type"
    And the admin enters "GoToMeeting organizer" in "Constant value"
    And the admin clicks "OK"
    Then a notification says "You have unsaved changes"
    And the attribute mapping "displayName" maps the constant "GoToMeeting organizer" and is not used for matching
    When the admin clicks "Save"
    Then a notification says "The attribute mappings were saved."
    And the job's schema maps "displayName" from the constant "GoToMeeting organizer"
    When provisioning is turned on and the initial cycle runs
    Then GoToMeeting shows "B.Simon@contoso.example" with displayName "GoToMeeting organizer"
