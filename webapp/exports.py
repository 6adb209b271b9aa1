"""Values written to CSV and XLSX files that staff open in spreadsheets.

Pure. A cell that starts with =, +, -, @, a tab or a carriage return could be run as a formula
(CSV/formula injection, OWASP); such text is prefixed with an apostrophe so it stays text.
Numbers are left as numbers.
"""

from __future__ import annotations

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> object:
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value
