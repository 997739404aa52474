@graph
Feature: Users in Microsoft Graph
  Users are created, read by id or by user principal name, and updated with PATCH. A user principal
  name is unique in the tenant whatever its letter case.

  Background:
    Given the user "B.Simon" exists in the tenant

  Scenario: A created user is read back by id and by user principal name
    When "B.Simon" is read by id
    Then Graph answers 200
    And the answer shows userPrincipalName "b.simon@contoso.example"
    And the answer shows displayName "B.Simon"
    When "B.Simon" is read by user principal name "B.SIMON@contoso.example"
    Then Graph answers 200
    And the answer shows userPrincipalName "b.simon@contoso.example"

  Scenario: PATCH changes only the properties it names
    When the admin patches "B.Simon" with:
      """
      {"jobTitle": "Product Manager", "department": "Marketing"}
      """
    Then Graph answers 204
    And Graph shows "B.Simon" with jobTitle "Product Manager"
    And Graph shows "B.Simon" with department "Marketing"
    And Graph shows "B.Simon" with displayName "B.Simon"

  Scenario: PATCH of a read-only property is refused and changes nothing
    When the admin patches "B.Simon" with:
      """
      {"createdDateTime": "2020-01-01T00:00:00Z", "jobTitle": "Product Manager"}
      """
    Then Graph answers 400 with code "Request_BadRequest"
    And Graph shows "B.Simon" with createdDateTime "2026-01-05T08:00:00Z"
    And Graph shows "B.Simon" with department "Sales"

  Scenario: A user principal name that exists in another letter case is refused
    When a user "Bea Simon" is created with the user principal name "B.SIMON@contoso.example"
    Then Graph answers 400 with code "Request_BadRequest" and the message "Another object with the same value for property userPrincipalName already exists."
    And the tenant has 1 user whose user principal name starts with "b.simon"

  Scenario: A user without the required properties is refused
    When the admin calls POST "/users" with:
      """
      {"accountEnabled": true, "displayName": "Bea Simon", "userPrincipalName": "bea.simon@contoso.example",
       "passwordProfile": {"password": "Lab-Passw0rd!2026"}}
      """
    Then Graph answers 400 with code "Request_BadRequest" and the message "Property mailNickname value is required but is empty or missing."
    And the tenant has 0 users whose user principal name starts with "bea."
