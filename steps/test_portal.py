from pytest_bdd import scenarios

scenarios("portal/admin_center.feature")
