@graph
Feature: App-only sign-in for Microsoft Graph
  A daemon app signs in with the OAuth 2.0 client credentials grant at the tenant's token endpoint and
  calls Microsoft Graph with the access token, as the lab's own admin app does.

  Scenario Outline: The admin app gets a Graph token with its client secret <where>
    When the admin app requests a token for Microsoft Graph with its client secret <where>
    Then the token endpoint answers 200 with a Bearer token that expires in 3599 seconds
    And the access token is signed with a key from the tenant's JWKS for the audience "https://graph.microsoft.com"
    And the access token grants the application permission "User.ReadWrite.All"
    When GET "/users" is sent with that token
    Then Graph answers 200

    Examples:
      | where                   |
      | in the form             |
      | in an HTTP Basic header |

  Scenario Outline: The token endpoint refuses a bad request in AAD's words (<field>)
    When the admin app requests a token with the <field> "<value>"
    Then the token endpoint answers <status> with error "<error>" and <code>

    Examples:
      | field         | value                                | status | error          | code          |
      | client secret | not-the-client-secret                | 401    | invalid_client | AADSTS7000215 |
      | client id     | 11111111-2222-4333-8444-555555555555 | 401    | invalid_client | AADSTS700016  |
      | tenant        | fabrikam.example                     | 400    | invalid_request | AADSTS90002  |
      | scope         | https://graph.microsoft.com/User.Read | 400   | invalid_scope  | AADSTS70011   |
