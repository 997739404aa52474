from pytest_bdd import scenarios

scenarios("portal/gotomeeting.feature")
scenarios("portal/gotomeeting_de.feature")
