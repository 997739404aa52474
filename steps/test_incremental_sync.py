from pytest_bdd import scenarios

scenarios("incremental_sync")
