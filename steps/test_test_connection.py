from pytest_bdd import scenarios

scenarios("test_connection")
