from pytest_bdd import scenarios

scenarios("portal/provisioning.feature")
scenarios("portal/provisioning_de.feature")
