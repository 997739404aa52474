@graph
Feature: Soft delete, restore and purge
  DELETE /users/{id} moves the user to the deleted items, where it can be restored or purged; 30 days
  after the deletion it is purged automatically.

  Background:
    Given the user "B.Simon" exists in the tenant
    And the user "A.Lee" exists in the tenant

  Scenario: A deleted user waits in the deleted items and comes back when restored
    When "B.Simon" is deleted in Entra
    Then the deleted items hold the users "B.Simon"
    When "B.Simon" is read by id
    Then Graph answers 404 with code "Request_ResourceNotFound"
    When "B.Simon" is restored from the recycle bin
    Then the deleted items hold no users
    When "B.Simon" is read by user principal name "b.simon@contoso.example"
    Then Graph answers 200

  Scenario: A purged user is gone for good
    When "B.Simon" is deleted in Entra
    And "B.Simon" is permanently deleted in Entra
    Then the deleted items hold no users
    When the admin calls POST "/directory/deletedItems/{id}/restore" for "B.Simon"
    Then Graph answers 404 with code "Request_ResourceNotFound"
    When "B.Simon" is read by id
    Then Graph answers 404 with code "Request_ResourceNotFound"

  Scenario: Thirty days after the deletion the user is purged automatically
    When "B.Simon" is deleted in Entra
    And 43199 virtual minutes pass
    Then the deleted items hold the users "B.Simon"
    When 1 virtual minute passes
    Then the deleted items hold no users

