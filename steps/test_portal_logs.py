from pytest_bdd import scenarios

scenarios("portal/logs.feature")
scenarios("portal/logs_de.feature")
