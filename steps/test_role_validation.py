from pytest_bdd import scenarios

scenarios("role_validation")
