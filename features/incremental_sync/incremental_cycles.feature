@incremental_sync
Feature: Incremental cycles every 40 minutes
  After the initial cycle an incremental cycle runs about every 40 minutes and exports only what changed.

  Background:
    Given the GoToMeeting app is added from the gallery
    And the provisioning mode is set to Automatic
    And the admin authorizes with the GoToMeeting team administrator account
    And the user "B.Simon" exists in the tenant
    And "B.Simon" is assigned to GoToMeeting with the role "Organizer"
    And provisioning is turned on and the initial cycle runs

  Scenario: Nothing happens before 40 virtual minutes have passed
    Given the display name of "B.Simon" is changed to "Barbara Simon"
    When 39 virtual minutes pass
    Then Entra sent no request to GoToMeeting since the initial cycle
    When 1 virtual minute passes
    Then GoToMeeting shows "b.simon@contoso.example" with displayName "Barbara Simon"

  Scenario Outline: A changed attribute is sent as a PATCH of only that attribute (<dialect>)
    Given the Tenant URL uses the <dialect> dialect
    And the display name of "B.Simon" is changed to "Barbara Simon"
    When 40 virtual minutes pass
    Then Entra sent exactly one PATCH for "b.simon@contoso.example" with the operations <operations>
    And GoToMeeting shows "b.simon@contoso.example" with displayName "Barbara Simon"
    And the provisioning log for "B.Simon" says "update" with status "success"

    Examples:
      | dialect          | operations                                                         |
      | legacy           | [{"op":"Replace","path":"displayName","value":"Barbara Simon"}]    |
      | aadOptscim062020 | [{"op":"replace","path":"displayName","value":"Barbara Simon"}]    |

  Scenario: Several changed attributes collapse into one path-less operation in the aadOptscim062020 dialect
    Given the Tenant URL uses the aadOptscim062020 dialect
    And the display name of "B.Simon" is changed to "Barbara Simon"
    And the department of "B.Simon" is changed to "Finance"
    When 40 virtual minutes pass
    Then Entra sent exactly one PATCH for "b.simon@contoso.example" with the operations [{"op":"replace","value":{"displayName":"Barbara Simon","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department":"Finance"}}]

  Scenario: A new assignment is created in the next cycle
    Given the user "A.Lee" exists in the tenant
    And "A.Lee" is assigned to GoToMeeting with the role "Manager"
    When 40 virtual minutes pass
    Then GoToMeeting has the user "a.lee@contoso.example" with role "manager"
    And the provisioning log for "A.Lee" says "create" with status "success"

  Scenario: A user who did not change causes no request
    Given the user "A.Lee" exists in the tenant
    When 40 virtual minutes pass
    Then Entra sent no request to GoToMeeting since the initial cycle
    And the job's last execution counted 0 exports

  Scenario: Editing the attribute mappings restarts the job
    When the mapping of "displayName" is changed to the expression "Join(\" \", [givenName], [surname])"
    And 0 virtual minutes pass
    Then GoToMeeting shows "b.simon@contoso.example" with displayName "B Simon"
