@target
Feature: Groups: created empty, members added several at a time and removed
  Entra looks a group up with excludedAttributes=members, creates it without members, adds members with
  PATCH (several in one operation) and removes them: with one Remove whose value lists the members
  (legacy; the other members must stay) or one remove per member with a filtered path
  (aadOptscim062020). Microsoft's Create_Group_Test, Group_Update_Add_Member_Test and
  Group_Update_Remove_Member_Test.

  Background:
    Given the non-gallery SCIM app is pointed at the target
    And the tenant users "A.Lee, B.Simon, C.Diaz" are assigned to the app

  @entra-group-members @rfc7644-3.5.2
  Scenario: Create_Group_Test: a group is created empty, then its members arrive in one PATCH
    Given the tenant group "Sales" has the members "A.Lee, B.Simon, C.Diaz"
    And the tenant group "Sales" is assigned to the app
    When provisioning is turned on and the initial cycle runs
    Then Entra created the group "Sales" without members and added its 3 members in one PATCH
    And the target's group "Sales" has the members "A.Lee, B.Simon, C.Diaz"
    And the target accepted every request Entra sent

  @entra-group-members @entra-remove-member-value @rfc7644-3.5.2.2 @entra-scim-compat
  Scenario: Group_Update_Add_Member_Test and Group_Update_Remove_Member_Test: removing one member keeps the others
    Given the tenant group "Sales" has the members "A.Lee"
    And the tenant group "Sales" is assigned to the app
    And provisioning is turned on and the initial cycle runs
    When "B.Simon, C.Diaz" are added to the tenant group "Sales"
    And 40 virtual minutes pass
    Then the target's group "Sales" has the members "A.Lee, B.Simon, C.Diaz"
    When "B.Simon" is removed from the tenant group "Sales"
    And 40 virtual minutes pass
    Then Entra's last PATCH of the group "Sales" had the operations of its dialect:
      | dialect          | operations                                                          |
      | legacy           | [{"op":"Remove","path":"members","value":[{"value":"{id:B.Simon}"}]}] |
      | aadOptscim062020 | [{"op":"remove","path":"members[value eq \"{id:B.Simon}\"]"}]         |
    And the target's group "Sales" has the members "A.Lee, C.Diaz"
    And the target accepted every request Entra sent

  @entra-group-members @rfc7644-3.4.2.5
  Scenario: Entra's group lookup with excludedAttributes=members leaves the members out
    Given the tenant group "Sales" has the members "A.Lee, B.Simon"
    And the tenant group "Sales" is assigned to the app
    And provisioning is turned on and the initial cycle runs
    When the conformance client looks the group "Sales" up as Entra does
    Then the answer lists the group "Sales" without its members
