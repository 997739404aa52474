@graph
Feature: Paging and $filter on users
  Lists come in pages of at most $top items; @odata.nextLink carries an opaque $skiptoken to the next
  page. $filter takes eq, ne, startswith, and, or; a malformed query is a 400 BadRequest.

  Scenario: 25 users in pages of 10 take three pages
    Given the tenant is seeded with 25 users
    When the users are listed 10 at a time
    Then the page sizes are 10, 10 and 5
    And every next link carries an opaque $skiptoken and the same $top
    And the pages hold 25 different users

  Scenario: A tampered skip token is refused
    Given the tenant is seeded with 25 users
    When the users are listed 10 at a time
    And the first next link is followed with its skip token tampered with
    Then Graph answers 400 with code "BadRequest" and the message "Invalid Skip Token"

  Scenario Outline: $filter <filter>
    Given the user "B.Simon" exists in the tenant
    And the user "Britta.Simon" exists in the tenant
    And the user "A.Lee" exists in the tenant
    And the disabled user "Brian.Ho" exists in the tenant
    When the users are listed with the query "$filter=<filter>"
    Then Graph returns the users "<users>"

    Examples:
      | filter                                                          | users                          |
      | startswith(displayName,'B')                                     | B.Simon, Britta.Simon, Brian.Ho |
      | userPrincipalName eq 'a.lee@contoso.example'                    | A.Lee                          |
      | startswith(displayName,'B') and accountEnabled eq true          | B.Simon, Britta.Simon          |
      | startswith(givenName,'Br') and surname eq 'Simon'               | Britta.Simon                   |
      | accountEnabled eq false or displayName eq 'A.Lee'               | A.Lee, Brian.Ho                |

  Scenario Outline: A malformed query is a 400 BadRequest (<query>)
    Given the user "B.Simon" exists in the tenant
    When the users are listed with the query "<query>"
    Then Graph answers 400 with code "BadRequest" and a message containing "<message>"

    Examples:
      | query                               | message                                                                |
      | $filter=displayName eq 'B.Simon     | unterminated string literal                                            |
      | $filter=startswith(displayName,'B'  | ')' or operator expected                                               |
      | $filter=contains(displayName,'B')   | An unknown function with name 'contains'                               |
      | $filter=shoeSize eq 42              | Could not find a property named 'shoeSize' on type 'microsoft.graph.user' |
      | $top=0                              | Invalid page size specified: '0'                                       |
      | $top=abc                            | Invalid value 'abc' for $top query option found.                       |
