@graph
Feature: App role assignments of the GoToMeeting app
  Users and groups get access to GoToMeeting through an app role of its service principal: Default
  Access (msiam_access), Organizer or Manager.

  Background:
    Given the GoToMeeting app is added from the gallery
    And the user "B.Simon" exists in the tenant

  Scenario: A user is assigned the Organizer role
    When "B.Simon" is assigned to GoToMeeting with the role "Organizer"
    Then "B.Simon" has the app role "Organizer" on GoToMeeting as a User
    And GoToMeeting has 1 app role assignment

  Scenario: A group is assigned the Manager role
    Given the group "Sales" has the members "B.Simon"
    And the group "Sales" is assigned to GoToMeeting with the role "Manager"
    Then "Sales" has the app role "Manager" on GoToMeeting as a Group
    And "B.Simon" has 0 app role assignments

  Scenario: The same assignment twice is refused
    Given "B.Simon" is assigned to GoToMeeting with the role "Organizer"
    When the admin tries to assign "B.Simon" to GoToMeeting with the role "Organizer"
    Then Graph answers 400 with code "Request_BadRequest" and the message "Permission being assigned already exists on the object."
    And "B.Simon" has 1 app role assignment

  Scenario: A role the app does not define is refused
    When the admin tries to assign "B.Simon" to GoToMeeting with a role the app does not define
    Then Graph answers 400 with code "Request_BadRequest" and a message containing "Permission being assigned was not found on application"
    And "B.Simon" has 0 app role assignments

  Scenario: A principal that does not exist is a 404
    When the admin tries to assign a user that does not exist to GoToMeeting with the role "Organizer"
    Then Graph answers 404 with code "Request_ResourceNotFound"
    And GoToMeeting has 0 app role assignments

  Scenario: An unassigned user has no assignment left
    Given "B.Simon" is assigned to GoToMeeting with the role "Organizer"
    When "B.Simon" is unassigned from GoToMeeting
    Then "B.Simon" has 0 app role assignments
