"""One module per instrument, named by its code (STYLE.md section 4); wording is data.

Pure: no Flask, no database. The registry that collects these lives in ``questionnaires``.
"""
