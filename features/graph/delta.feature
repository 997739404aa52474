@graph
Feature: Tracking changes to users with delta
  GET /users/delta returns every user, page by page, and ends with an @odata.deltaLink; following the
  delta link later returns only what changed since. A soft-deleted user comes back as @removed
  "changed", a purged one as "deleted".

  Background:
    Given the user "B.Simon" exists in the tenant
    And the user "A.Lee" exists in the tenant
    And the users delta has been read up to its delta link

  Scenario: The first round holds every user
    Then the delta holds the users "A.Lee, B.Simon"

  Scenario: Nothing changed, nothing in the delta
    When the delta link is followed
    Then the delta is empty

  Scenario: A changed user shows up in the delta link
    When the admin patches "A.Lee" with:
      """
      {"displayName": "Alex Lee"}
      """
    And the delta link is followed
    Then the delta holds only "A.Lee"
    And the delta shows "A.Lee" with displayName "Alex Lee"

  Scenario: A soft-deleted user comes with @removed "changed"
    When "B.Simon" is deleted in Entra
    And the delta link is followed
    Then the delta holds only "B.Simon"
    And the delta shows "B.Simon" removed with the reason "changed"

  Scenario: A purged user comes with @removed "deleted"
    When "B.Simon" is deleted in Entra
    And "B.Simon" is permanently deleted in Entra
    And the delta link is followed
    Then the delta shows "B.Simon" removed with the reason "deleted"
