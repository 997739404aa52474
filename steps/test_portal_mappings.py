from pytest_bdd import scenarios

scenarios("portal/mappings.feature")
scenarios("portal/mappings_de.feature")
