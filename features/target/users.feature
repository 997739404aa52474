@target
Feature: Users: what Entra's provisioning cycles do to the target
  The user lifecycle Microsoft's gallery validation runs (Create_User_Test, Update_User_Test,
  Disable_User_Test, Delete_User_Test), in the dialect of the run: Entra's default client (legacy) or the
  SCIM-compliant one switched on by ?aadOptscim062020 on the Tenant URL.

  Background:
    Given the non-gallery SCIM app is pointed at the target
    And the tenant user "B.Simon" is assigned to the app

  @entra-matching @rfc7644-3.3
  Scenario: Create_User_Test: Entra looks the user up by userName, then creates it
    When provisioning is turned on and the initial cycle runs
    Then Entra looked "B.Simon" up by userName before creating it
    And the target shows "B.Simon" as active
    And the target accepted every request Entra sent
    And the provisioning log for "B.Simon" says "create" with status "success"

  @rfc7644-3.5.2 @entra-scim-compat
  Scenario: Update_User_Test: one changed attribute is one PATCH operation
    Given provisioning is turned on and the initial cycle runs
    And the display name of "B.Simon" is changed to "Barbara Simon"
    When 40 virtual minutes pass
    Then Entra's last PATCH of "B.Simon" had the operations of its dialect:
      | dialect          | operations                                                       |
      | legacy           | [{"op":"Replace","path":"displayName","value":"Barbara Simon"}]  |
      | aadOptscim062020 | [{"op":"replace","path":"displayName","value":"Barbara Simon"}]  |
    And the target shows "B.Simon" with:
      | attribute   | value         |
      | displayName | Barbara Simon |
    And the target accepted every request Entra sent
    And the provisioning log for "B.Simon" says "update" with status "success"

  @rfc7644-3.5.2 @entra-pathless-patch @entra-scim-compat
  Scenario: Update_User_Test: several changed attributes in one PATCH, path-less with dotted keys in aadOptscim062020
    Given provisioning is turned on and the initial cycle runs
    And the attributes of "B.Simon" are changed in Entra:
      | property    | value           |
      | displayName | Barbara Simon   |
      | givenName   | Barbara         |
      | jobTitle    | Account Manager |
      | department  | Finance         |
    When 40 virtual minutes pass
    Then Entra sent the changes of "B.Simon" as one PATCH in its dialect's form
    And the target shows "B.Simon" with:
      | attribute                                                            | value           |
      | displayName                                                          | Barbara Simon   |
      | name.givenName                                                       | Barbara         |
      | title                                                                | Account Manager |
      | urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department | Finance         |
    And the target accepted every request Entra sent

  @entra-soft-delete @entra-string-booleans @entra-scim-compat
  Scenario: Disable_User_Test: blocking sign-in disables the user, allowing it enables the user again
    Given provisioning is turned on and the initial cycle runs
    When sign-in is blocked for "B.Simon"
    And 40 virtual minutes pass
    Then Entra's last PATCH of "B.Simon" had the operations of its dialect:
      | dialect          | operations                                         |
      | legacy           | [{"op":"Replace","path":"active","value":"False"}] |
      | aadOptscim062020 | [{"op":"replace","path":"active","value":false}]   |
    And the target shows "B.Simon" as inactive
    And the provisioning log for "B.Simon" says "disable" with status "success"
    When sign-in is allowed again for "B.Simon"
    And 40 virtual minutes pass
    Then Entra's last PATCH of "B.Simon" had the operations of its dialect:
      | dialect          | operations                                        |
      | legacy           | [{"op":"Replace","path":"active","value":"True"}] |
      | aadOptscim062020 | [{"op":"replace","path":"active","value":true}]   |
    And the target shows "B.Simon" as active
    And the target accepted every request Entra sent

  @entra-soft-delete @rfc7644-3.6
  Scenario: Delete_User_Test: a soft delete disables the user, the purge deletes it
    Given provisioning is turned on and the initial cycle runs
    When "B.Simon" is deleted in Entra
    And 40 virtual minutes pass
    Then the target shows "B.Simon" as inactive
    When "B.Simon" is permanently deleted in Entra
    And 40 virtual minutes pass
    Then the target has no user "B.Simon"
    And the target accepted every request Entra sent
    And the provisioning log for "B.Simon" says "delete" with status "success"

  @rfc7644-3.4.2.2
  Scenario Outline: Get user by filter: <filter>
    Given provisioning is turned on and the initial cycle runs
    Then the target finds "B.Simon" with the filter <filter>

    Examples:
      | filter                                            |
      | userName eq "{userName}"                          |
      | userName eq "{upper:userName}"                    |
      | USERNAME EQ "{userName}"                          |
      | externalId eq "{externalId}"                      |
      | EXTERNALID Eq "{externalId}"                      |
      | emails[type eq "work"].value eq "{upper:email}"   |
