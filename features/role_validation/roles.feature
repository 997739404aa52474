@role_validation
Feature: Only users with a valid role are provisioned
  The tutorial warns: the Default Access ("Standardzugriff") role does not work for GoToMeeting; you must
  select a valid user role.

  Background:
    Given the GoToMeeting app is added from the gallery
    And the provisioning mode is set to Automatic
    And the admin authorizes with the GoToMeeting team administrator account

  Scenario: A user with Default Access is skipped and never reaches GoToMeeting
    Given the user "B.Simon" exists in the tenant
    And "B.Simon" is assigned to GoToMeeting with the role "Default Access"
    When provisioning is turned on and the initial cycle runs
    Then GoToMeeting has no user "b.simon@contoso.example"
    And the provisioning log for "B.Simon" says "skipped" with reason "NotEffectivelyEntitled"

  Scenario: Organizer and Manager arrive with their role
    Given the user "B.Simon" exists in the tenant
    And the user "A.Lee" exists in the tenant
    And "B.Simon" is assigned to GoToMeeting with the role "Organizer"
    And "A.Lee" is assigned to GoToMeeting with the role "Manager"
    When provisioning is turned on and the initial cycle runs
    Then GoToMeeting has the user "b.simon@contoso.example" with role "organizer"
    And GoToMeeting has the user "a.lee@contoso.example" with role "manager"
    And the provisioning log for "B.Simon" says "create" with status "success"

  Scenario: A group assigned with Default Access provisions none of its members
    Given the user "B.Simon" exists in the tenant
    And the group "Sales" has the members "B.Simon"
    And the group "Sales" is assigned to GoToMeeting with the role "Default Access"
    When provisioning is turned on and the initial cycle runs
    Then GoToMeeting has no user "b.simon@contoso.example"
    And the provisioning log for "B.Simon" says "skipped" with reason "NotEffectivelyEntitled"

  Scenario: A user with Default Access and Organizer is provisioned as organizer
    Given the user "B.Simon" exists in the tenant
    And "B.Simon" is assigned to GoToMeeting with the role "Default Access"
    And "B.Simon" is assigned to GoToMeeting with the role "Organizer"
    When provisioning is turned on and the initial cycle runs
    Then GoToMeeting has the user "b.simon@contoso.example" with role "organizer"

  Scenario: A role change from Organizer to Manager is sent as a PATCH of roles
    Given the user "B.Simon" exists in the tenant
    And "B.Simon" is assigned to GoToMeeting with the role "Organizer"
    And provisioning is turned on and the initial cycle runs
    When the role of "B.Simon" is changed to "Manager"
    And 40 virtual minutes pass
    Then GoToMeeting has the user "b.simon@contoso.example" with role "manager"
    And the provisioning log for "B.Simon" says "update" with status "success"

  Scenario: The non-gallery SCIM app provisions Default Access users
    Given the non-gallery SCIM app is added and pointed at GoToMeeting with a secret token
    And the user "B.Simon" exists in the tenant
    And "B.Simon" is assigned to the app with the role "Default Access"
    When provisioning is turned on and the initial cycle runs
    Then GoToMeeting rejected the create of "b.simon@contoso.example" because it has no role
    And the provisioning log for "B.Simon" says "create" with status "failure" and error code "SystemForCrossDomainIdentityManagementMandatoryFieldsMissing"
