"""The session allowance ledger, outcomes and their charges, and technical-failure reports.

No blueprint: the pages that use these services live with their readers (booking for patients,
therapy for therapists, clinical for the clinical lead, reports for the commissioner). Other
features call `services.record_outcome` and `services.report_technical_failure`.
"""
