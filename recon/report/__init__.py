"""The month-end reconciliation report (SPEC §6).

``month_end`` computes the report's tables from the ledger as of dates; ``render``
writes them (workbook, CSV, HTML) and ``charts`` draws the inline SVG charts. This
module is the face the rest of recon and the notebooks import.
"""

from .month_end import RULES, TABLE_ORDER, Report, as_of, build, exceptions, parse_period, report

__all__ = ["RULES", "TABLE_ORDER", "Report", "as_of", "build", "exceptions", "parse_period", "report"]
