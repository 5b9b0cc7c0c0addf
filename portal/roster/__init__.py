"""OneRoster 1.1 CSV import (plus our portal_accounts.csv): idempotent, bulk, reports bad rows and keeps going."""
from portal.roster.importer import import_roster
from portal.roster.report import FileCounts, ImportReport, RosterError, RowProblem

__all__ = ["import_roster", "ImportReport", "FileCounts", "RowProblem", "RosterError"]
