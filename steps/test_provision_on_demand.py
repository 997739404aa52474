from pytest_bdd import scenarios

scenarios("provision_on_demand")
