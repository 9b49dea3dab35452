"""recon: credit invoices and month-end reconciliation for a cloud billing ledger."""

from .amounts import Amount, Percent
from .credits import CreditResult
from .errors import BadInput, LedgerInUse, Problem, ReconError
from .files import FileFormat
from .ledger import Ledger, init

__all__ = ["Amount", "BadInput", "CreditResult", "FileFormat", "Ledger", "LedgerInUse", "Percent", "Problem",
           "ReconError", "init"]
__version__ = "0.1.0"
