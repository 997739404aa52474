@graph
Feature: Groups and their members
  Members are added with POST /groups/{id}/members/$ref and an @odata.id, listed with GET
  /groups/{id}/members and removed with DELETE /groups/{id}/members/{memberId}/$ref.

  Background:
    Given the user "B.Simon" exists in the tenant
    And the user "A.Lee" exists in the tenant
    And the group "Sales" exists

  Scenario: Members are added, listed and removed
    When "B.Simon" is added to the group "Sales"
    Then Graph answers 204
    When "A.Lee" is added to the group "Sales"
    Then Graph answers 204
    And the members of the group "Sales" are "A.Lee, B.Simon"
    When "B.Simon" is removed from the group "Sales"
    Then Graph answers 204
    And the members of the group "Sales" are "A.Lee"

  Scenario: Adding a member twice is refused
    Given the group "Sales" has the members "B.Simon"
    When "B.Simon" is added to the group "Sales"
    Then Graph answers 400 with code "Request_BadRequest" and the message "One or more added object references already exist for the following modified properties: 'members'."
    And the members of the group "Sales" are "B.Simon"

  Scenario: Removing a user who is not a member is a 404
    When "A.Lee" is removed from the group "Sales"
    Then Graph answers 404 with code "Request_ResourceNotFound"
    And the group "Sales" has no members

  Scenario: A group can be a member of another group
    Given the group "Sales" has the members "B.Simon"
    And the group "Sales" is a member of the group "All Staff"
    Then the members of the group "All Staff" are "Sales"
