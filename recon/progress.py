"""Progress of a long operation, on the terminal or in a notebook.

Long operations (a bulk run, a cancellation file, the month-end report's files) tell a
``progress(phase, count=None)`` callable when each phase is done. :func:`on_screen`
gives the right one for where recon runs:

- on a terminal: one line per phase on stderr, with the time since the start
  (``  [  1.84s] checked against the ledger 1,000,000``);
- in a notebook: one line under the cell that updates in place, then the phases done.

```python
from recon.progress import on_screen
run = lg.apply("corrections.csv", progress=on_screen())
```
No third-party bar: DuckDB's own is switched off on every connection (``recon.db``).
"""

from __future__ import annotations

import html
import sys
import time


class Terminal:
    """Phases with counts and elapsed time, one line each, on stderr (or any writable)."""

    def __init__(self, stream=None):
        self.stream = stream if stream is not None else sys.stderr
        self.start = time.perf_counter()

    def line(self, phase: str, count: int | None = None) -> str:
        n = f" {count:,}" if count is not None else ""
        return f"[{time.perf_counter() - self.start:6.2f}s] {phase}{n}"

    def __call__(self, phase: str, count: int | None = None) -> None:
        print(f"  {self.line(phase, count)}", file=self.stream, flush=True)


class Notebook(Terminal):
    """One display under the cell, updated in place as phases finish."""

    def __init__(self, title: str = "working"):
        super().__init__()
        from IPython.display import HTML, display

        self._html = HTML
        self.title = title
        self.done: list[str] = []
        self.handle = display(HTML(self._render(f"{title} …")), display_id=True)

    def _render(self, current: str) -> str:
        lines = "".join(f"<div>✓ {html.escape(d)}</div>" for d in self.done)
        return (f"<div style='font-family:monospace;font-size:12px;color:#445'>{lines}"
                f"<div>{html.escape(current)}</div></div>")

    def __call__(self, phase: str, count: int | None = None) -> None:
        self.done.append(self.line(phase, count))
        total = time.perf_counter() - self.start
        self.handle.update(self._html(self._render(f"{self.title}: {total:.1f}s so far")))


def in_notebook() -> bool:
    """True inside a Jupyter kernel (not a plain IPython terminal, not a script)."""
    shell = sys.modules.get("IPython")
    if shell is None:
        return False
    ip = shell.get_ipython() if hasattr(shell, "get_ipython") else None
    return ip is not None and type(ip).__name__ == "ZMQInteractiveShell"


def on_screen(title: str = "working"):
    """A progress callable for the terminal or, in a notebook, for the cell's output."""
    return Notebook(title) if in_notebook() else Terminal()
