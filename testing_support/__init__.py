"""Support code shared by the tests and bench/ (not part of the shipped packages)."""
