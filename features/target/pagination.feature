@target
Feature: Pagination of the target's users
  Microsoft's SCIM_User_Pagination_Test: with at least 11 users, GET /Users with startIndex and count=5
  gives pages of at most 5 users that echo their startIndex, with no user on two pages.

  Background:
    Given the non-gallery SCIM app is pointed at the target

  @rfc7644-3.4.2.4
  Scenario: SCIM_User_Pagination_Test: eleven users read five at a time
    Given 11 tenant users are assigned to the app
    And provisioning is turned on and the initial cycle runs
    When the conformance client pages through the target's users 5 at a time
    Then every page had at most 5 users and echoed its startIndex
    And the pages listed at least 11 different users, none twice
