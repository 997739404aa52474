@graph
Feature: Graph's error answers
  Every error comes in Graph's envelope {"error": {"code", "message", "innerError"}} with the code and
  message Microsoft Graph uses.

  Scenario Outline: An unknown id is a 404 Request_ResourceNotFound (<method> <path>)
    When the admin calls <method> "<path>"
    Then Graph answers 404 with code "Request_ResourceNotFound" and the message "Resource '9d8c7b6a-5e4f-4a3b-8c2d-1e0f9a8b7c6d' does not exist or one of its queried reference-property objects are not present."

    Examples:
      | method | path                                                          |
      | GET    | /users/9d8c7b6a-5e4f-4a3b-8c2d-1e0f9a8b7c6d                   |
      | DELETE | /users/9d8c7b6a-5e4f-4a3b-8c2d-1e0f9a8b7c6d                   |
      | GET    | /groups/9d8c7b6a-5e4f-4a3b-8c2d-1e0f9a8b7c6d                  |
      | GET    | /directory/deletedItems/9d8c7b6a-5e4f-4a3b-8c2d-1e0f9a8b7c6d  |

  Scenario: A token expires on the virtual clock
    Given a Graph access token for the admin app
    When 59 virtual minutes pass
    And GET "/users" is sent with that token
    Then Graph answers 200
    When 1 virtual minute passes
    And GET "/users" is sent with that token
    Then Graph answers 401 with code "InvalidAuthenticationToken" and the message "Lifetime validation failed, the token is expired."

  Scenario: A call without a token is refused
    When GET "/users" is sent without a token
    Then Graph answers 401 with code "InvalidAuthenticationToken" and the message "Access token is empty."

  Scenario: A garbled token is refused
    When GET "/users" is sent with the bearer token "not-a-jwt"
    Then Graph answers 401 with code "InvalidAuthenticationToken" and a message containing "Access token validation failure."

  Scenario: A token without the permission is refused with 403
    Given a Graph access token for the reader app
    When POST "/users" is sent with that token
    Then Graph answers 403 with code "Authorization_RequestDenied" and the message "Insufficient privileges to complete the operation."
