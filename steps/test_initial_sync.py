from pytest_bdd import scenarios

scenarios("initial_sync")
