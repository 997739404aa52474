from pytest_bdd import scenarios

scenarios("portal/apps.feature")
scenarios("portal/apps_de.feature")
