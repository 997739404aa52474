"""Command-line tools of the lab that are not part of the fakes (the step catalogue)."""
