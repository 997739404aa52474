"""Fake GoToMeeting: GoTo's OAuth sign-in and a SCIM 2.0 provisioning API with GoTo's account rules."""
