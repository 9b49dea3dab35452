"""recon: credit invoices and month-end reconciliation for a cloud billing ledger.

The public names are imported on first use (PEP 562), not here: ``import recon`` and
``recon --help`` stay quick, and pandas and pandera are imported only by the calls that
use them (they take about a second to import; benchmarks/RESULTS.md).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from .errors import BadInput, LedgerInUse, Problem, ReconError

if TYPE_CHECKING:
    from .amounts import Amount, Percent
    from .credits import CreditResult
    from .files import FileFormat
    from .ledger import Ledger, init

#: each public name and the module that defines it
_LAZY = {"Amount": "amounts", "Percent": "amounts", "CreditResult": "credits", "FileFormat": "files",
         "Ledger": "ledger", "init": "ledger"}

__all__ = ["Amount", "BadInput", "CreditResult", "FileFormat", "Ledger", "LedgerInUse", "Percent", "Problem",
           "ReconError", "init"]
__version__ = "0.1.0"


def __getattr__(name: str):
    if name in _LAZY:
        value = getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
        globals()[name] = value  # once: later look-ups are plain attributes
        return value
    raise AttributeError(f"module 'recon' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
