"""recon: credit invoices and month-end reconciliation for a cloud billing ledger."""

from .credits import CreditResult
from .errors import BadInput, LedgerInUse, Problem, ReconError
from .files import FileFormat
from .ledger import Ledger, init

__all__ = ["BadInput", "CreditResult", "FileFormat", "Ledger", "LedgerInUse", "Problem",
           "ReconError", "init"]
__version__ = "0.1.0"
