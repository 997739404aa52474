from pytest_bdd import scenarios

scenarios("portal/tutorial_de.feature", "portal/tutorial_en.feature")
