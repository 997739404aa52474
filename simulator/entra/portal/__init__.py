"""The admin-portal pieces that are not Graph: the Authorize popup's redirect and callback."""
