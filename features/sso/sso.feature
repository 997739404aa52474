@sso
Feature: SAML single sign-on to GoToMeeting complements provisioning
  The tutorial's tip: SAML-based single sign-on for GoToMeeting can be configured independently of
  provisioning, although the two features complement each other. A user Entra provisions can sign in;
  a user Entra disables can no longer get in.

  Background:
    Given the GoToMeeting app is added from the gallery
    And SAML single sign-on is set up for GoToMeeting as the tutorial says
    And GoToMeeting trusts Entra as its identity provider with the downloaded certificate
    And the provisioning mode is set to Automatic
    And the admin authorizes with the GoToMeeting team administrator account
    And the user "B.Simon" exists in the tenant

  Scenario: An organizer provisioned by Entra signs in from My Apps and lands in GoToMeeting as organizer
    Given "B.Simon" is assigned to GoToMeeting with the role "Organizer"
    And provisioning is turned on and the initial cycle runs
    When "B.Simon" signs in to My Apps and opens the GoToMeeting tile
    Then Entra posted a signed assertion for "b.simon@contoso.example" to GoToMeeting
    And GoToMeeting shows "b.simon@contoso.example" signed in with the role "organizer"

  Scenario: An organizer provisioned by Entra signs in from GoToMeeting's company sign-in (SP-initiated)
    Given "B.Simon" is assigned to GoToMeeting with the role "Organizer"
    And provisioning is turned on and the initial cycle runs
    When "B.Simon" starts at GoToMeeting's company sign-in and signs in to Entra
    Then Entra's response answers GoToMeeting's AuthnRequest
    And GoToMeeting shows "b.simon@contoso.example" signed in with the role "organizer"

  Scenario: GoToMeeting set up from the App Federation Metadata URL accepts the organizer
    Given "B.Simon" is assigned to GoToMeeting with the role "Manager"
    And provisioning is turned on and the initial cycle runs
    And GoToMeeting trusts Entra as its identity provider through the App Federation Metadata URL
    When "B.Simon" signs in to My Apps and opens the GoToMeeting tile
    Then GoToMeeting shows "b.simon@contoso.example" signed in with the role "manager"

  Scenario: Assigned but not yet provisioned: Entra issues the assertion, GoTo has no such account
    Given "B.Simon" is assigned to GoToMeeting with the role "Organizer"
    When "B.Simon" signs in to My Apps and opens the GoToMeeting tile
    Then Entra posted a signed assertion for "b.simon@contoso.example" to GoToMeeting
    And GoToMeeting refuses the sign-in with reason "account_not_found" and "Account not found"

  Scenario: Sign-in blocked in Entra, then the next cycle disables the GoTo account and a stale assertion is refused
    Given "B.Simon" is assigned to GoToMeeting with the role "Organizer"
    And provisioning is turned on and the initial cycle runs
    And an assertion for "B.Simon" is captured from the GoToMeeting tile without being posted
    When sign-in is blocked for "B.Simon"
    And "B.Simon" opens the GoToMeeting tile directly
    Then Entra refuses the sign-in with "AADSTS50057"
    When the next provisioning cycle runs
    Then GoToMeeting shows "b.simon@contoso.example" as inactive
    When the captured assertion is posted to GoToMeeting
    Then GoToMeeting refuses the sign-in with reason "account_disabled"

  Scenario: A user who is not assigned to GoToMeeting is refused by Entra
    When "B.Simon" starts at GoToMeeting's company sign-in and signs in to Entra
    Then Entra refuses the sign-in with "AADSTS50105"

  Scenario: Default Access only: Entra signs the user in, GoTo has no account
    Given "B.Simon" is assigned to GoToMeeting with the role "Default Access"
    And provisioning is turned on and the initial cycle runs
    When "B.Simon" signs in to My Apps and opens the GoToMeeting tile
    Then Entra posted a signed assertion for "b.simon@contoso.example" to GoToMeeting
    And GoToMeeting refuses the sign-in with reason "account_not_found"

  Scenario: My Apps shows the GoToMeeting tile to a user with Default Access
    Given "B.Simon" is assigned to GoToMeeting with the role "Default Access"
    When "B.Simon" signs in to My Apps
    Then "B.Simon" is signed in to My Apps with the GoToMeeting tile

  Scenario: Certificate rollover: refused until GoToMeeting has the new certificate
    Given "B.Simon" is assigned to GoToMeeting with the role "Organizer"
    And provisioning is turned on and the initial cycle runs
    When a new signing certificate is added in Entra and made active
    And "B.Simon" signs in to My Apps and opens the GoToMeeting tile
    Then GoToMeeting refuses the sign-in with reason "signature" and "not an uploaded verification certificate"
    When the new certificate is uploaded to GoToMeeting
    And "B.Simon" opens the GoToMeeting tile
    Then GoToMeeting shows "b.simon@contoso.example" signed in with the role "organizer"

  Scenario: A tampered assertion is refused
    Given "B.Simon" is assigned to GoToMeeting with the role "Organizer"
    And provisioning is turned on and the initial cycle runs
    And an assertion for "B.Simon" is captured from the GoToMeeting tile without being posted
    When the captured assertion is altered to name another user and posted to GoToMeeting
    Then GoToMeeting refuses the sign-in with reason "signature"

  Scenario: An expired assertion is refused
    Given "B.Simon" is assigned to GoToMeeting with the role "Organizer"
    And provisioning is turned on and the initial cycle runs
    And an assertion for "B.Simon" is captured from the GoToMeeting tile without being posted
    When 10 virtual minutes pass
    And the captured assertion is posted to GoToMeeting
    Then GoToMeeting refuses the sign-in with reason "expired"

  Scenario: A replayed assertion is refused
    Given "B.Simon" is assigned to GoToMeeting with the role "Organizer"
    And provisioning is turned on and the initial cycle runs
    And an assertion for "B.Simon" is captured from the GoToMeeting tile without being posted
    When the captured assertion is posted to GoToMeeting
    Then GoToMeeting shows "b.simon@contoso.example" signed in with the role "organizer"
    When the captured assertion is posted to GoToMeeting again
    Then GoToMeeting refuses the sign-in with reason "replay"

  Scenario: An assertion for another audience is refused
    Given "B.Simon" is assigned to GoToMeeting with the role "Organizer"
    And provisioning is turned on and the initial cycle runs
    And the Identifier in Entra is changed to "https://meetings.example.com/saml/sp"
    When "B.Simon" signs in to My Apps and opens the GoToMeeting tile
    Then GoToMeeting refuses the sign-in with reason "audience"

  Scenario: An unsigned assertion is refused
    Given "B.Simon" is assigned to GoToMeeting with the role "Organizer"
    And provisioning is turned on and the initial cycle runs
    And an assertion for "B.Simon" is captured from the GoToMeeting tile without being posted
    When the captured assertion is stripped of its signature and posted to GoToMeeting
    Then GoToMeeting refuses the sign-in with reason "unsigned"

  Scenario: A signed assertion wrapped around a forged one is refused
    Given "B.Simon" is assigned to GoToMeeting with the role "Organizer"
    And provisioning is turned on and the initial cycle runs
    And an assertion for "B.Simon" is captured from the GoToMeeting tile without being posted
    When the captured assertion is wrapped around a forged one and posted to GoToMeeting
    Then GoToMeeting refuses the sign-in with reason "wrapped"

  Scenario: Entra refuses a wrong password, an unknown user, an unconfigured Reply URL and a malformed request
    Given "B.Simon" is assigned to GoToMeeting with the role "Organizer"
    When "B.Simon" starts at GoToMeeting's company sign-in and signs in to Entra with the password "Wrong-Passw0rd!"
    Then Entra refuses the sign-in with "AADSTS50126"
    When an unknown user "nobody@contoso.example" tries to sign in to My Apps
    Then Entra refuses the sign-in with "AADSTS50034"
    When GoToMeeting sends Entra an AuthnRequest that is not valid SAML
    Then Entra refuses the sign-in with "AADSTS75005"
    Given the Reply URL in Entra is changed to "https://meetings.example.com/saml/acs"
    When "B.Simon" starts at GoToMeeting's company sign-in and signs in to Entra
    Then Entra refuses the sign-in with "AADSTS50011"

  Scenario: Entra's sign-in page speaks German to a German browser
    When the Entra sign-in page is opened in German from GoToMeeting's company sign-in for "B.Simon"
    Then Entra's sign-in page says "Kennwort"
