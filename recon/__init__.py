"""recon: credit invoices and month-end reconciliation for a cloud billing ledger.

The public names are imported on first use (PEP 562), not here: ``import recon`` and
``recon --help`` stay quick, and pandas and pandera are imported only by the calls that
use them (they take about a second to import; benchmarks/RESULTS.md).
"""

from __future__ import annotations

import importlib
import os
import sys
from typing import TYPE_CHECKING

from .errors import BadInput, LedgerInUse, Problem, ReconError


def _arrow_allocator() -> None:
    """pyarrow allocates with the C library's malloc in recon's processes, not with its
    default, mimalloc: mimalloc hands freed memory back to the system at once and takes it
    again page by page, and reading, checking and converting a 1M-row file (three or four
    passes of fresh columns) spent 0.5-0.7 s more on that (a Parquet apply's file checks
    0.73-0.92 s against 1.29-1.47 s; a 1M-item import 6.1-6.3 s against 7.2-7.5 s, and
    0.12 GB less at its peak: benchmarks/RESULTS.md). pyarrow reads its choice once, on
    import: set before it, the variable costs nothing; imported already (a notebook that
    imported pandas first), its untouched default is switched. An analyst's own choice
    (the variable set) stands."""
    if "ARROW_DEFAULT_MEMORY_POOL" in os.environ:
        return
    os.environ["ARROW_DEFAULT_MEMORY_POOL"] = "system"
    pa = sys.modules.get("pyarrow")
    if pa is not None and pa.default_memory_pool().backend_name == "mimalloc":
        pa.set_memory_pool(pa.system_memory_pool())


_arrow_allocator()

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
