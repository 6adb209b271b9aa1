"""Outcome-focused supervision: each therapist's caseload, attendance, outcomes and safety
figures for the clinical lead (and a therapist's own for them), the episodes behind every figure,
and the record of supervision meetings. The blueprint is in `webapp.supervision.views`, so the
pure `webapp.supervision.figures` imports no Flask through this package."""
