"""Charts as inline SVG, drawn here so the HTML page needs no script, font or network.

Amounts are exact Decimals; they become floats only for SVG coordinates. Every label is
the exact amount as money (``recon.formats``: the currency's decimals, thousands
separated), HTML-escaped.
"""

from __future__ import annotations

from decimal import Decimal
from html import escape

from ..formats import money

WIDTH = 560
BAR_H = 22
LABEL_W = 170
VALUE_W = 120
UP, DOWN, TOTAL = "#4f8bc9", "#d9822b", "#5b6b7f"

#: the roll-forward's lines as a waterfall: (column, label, kind)
STEPS = (
    ("opening_unpaid", "opening unpaid", "total"),
    ("debits_issued", "debits issued", "step"),
    ("credits_applied", "credits applied", "step"),
    ("credits_unlinked", "credits unlinked", "step"),
    ("payments", "payments", "step"),
    ("debits_voided", "debits voided", "step"),
    ("overpayment_floor", "overpayments (floor at 0)", "step"),
    ("closing_unpaid", "closing unpaid", "total"),
)


def _svg(height: int, body: list[str], label: str) -> str:
    return (f'<svg width="{WIDTH}" height="{height}" '
            f'viewBox="0 0 {WIDTH} {height}" role="img" aria-label="{escape(label)}">'
            + "".join(body) + "</svg>")


def _scale(lo: Decimal, hi: Decimal):
    lo, hi = min(lo, Decimal(0)), max(hi, Decimal(0))
    span = float(hi - lo) or 1.0
    plot = WIDTH - LABEL_W - VALUE_W

    def x(v: Decimal) -> float:
        return LABEL_W + (float(v - lo) / span) * plot

    return x


def waterfall(row, currency: str) -> str:
    """Opening, each movement as a floating bar from the running total, closing."""
    bars, running = [], Decimal(0)
    for col, label, kind in STEPS:
        v = Decimal(row[col])
        if kind == "total":
            bars.append((label, Decimal(0), v, v, TOTAL))
            running = v
        else:
            if v == 0 and col in ("credits_unlinked", "debits_voided", "overpayment_floor"):
                continue  # lines that are usually empty are drawn only when they moved
            bars.append((label, running, running + v, v, UP if v > 0 else DOWN))
            running += v
    ends = [b[1] for b in bars] + [b[2] for b in bars]
    x = _scale(min(ends), max(ends))
    body = []
    for i, (label, a, b, v, color) in enumerate(bars):
        y = 6 + i * (BAR_H + 6)
        x0, x1 = sorted((x(a), x(b)))
        if i:  # a dashed connector from where the running total stood after the bar above
            cx = x(bars[i - 1][2])
            body.append(f'<line x1="{cx:.1f}" y1="{y - 6}" x2="{cx:.1f}" y2="{y}" '
                        f'stroke="#889" stroke-dasharray="2,2"/>')
        body.append(f'<text x="{LABEL_W - 6}" y="{y + 15}" text-anchor="end" font-size="12">{escape(label)}</text>')
        body.append(f'<rect x="{x0:.1f}" y="{y}" width="{max(x1 - x0, 1):.1f}" height="{BAR_H}" fill="{color}"/>')
        body.append(f'<text x="{WIDTH - 4}" y="{y + 15}" text-anchor="end" font-size="12">'
                    f'{escape(money(v, currency))}</text>')
    zero = x(Decimal(0))
    height = 12 + len(bars) * (BAR_H + 6)
    body.append(f'<line x1="{zero:.1f}" y1="0" x2="{zero:.1f}" y2="{height}" stroke="#889" stroke-width="1"/>')
    return _svg(height, body, "roll-forward waterfall")


def bars(labels: list, values: list, currency: str) -> str:
    """Horizontal bars, one per label (aging buckets, credits by reason)."""
    vals = [Decimal(v) for v in values]
    x = _scale(min(vals, default=Decimal(0)), max(vals, default=Decimal(0)))
    body = []
    for i, (label, v) in enumerate(zip(labels, vals, strict=True)):
        y = 6 + i * (BAR_H + 6)
        x0, x1 = sorted((x(Decimal(0)), x(v)))
        body.append(f'<text x="{LABEL_W - 6}" y="{y + 15}" text-anchor="end" font-size="12">'
                    f'<title>{escape(str(label))}</title>{escape(_short(str(label)))}</text>')
        body.append(f'<rect x="{x0:.1f}" y="{y}" width="{max(x1 - x0, 0):.1f}" height="{BAR_H}" '
                    f'fill="{UP if v >= 0 else DOWN}"/>')
        body.append(f'<text x="{WIDTH - 4}" y="{y + 15}" text-anchor="end" font-size="12">'
                    f'{escape(money(v, currency))}</text>')
    height = 12 + max(len(vals), 1) * (BAR_H + 6)
    if any(v < 0 for v in vals):  # the zero line, so a negative bar reads as one
        zero = x(Decimal(0))
        body.append(f'<line x1="{zero:.1f}" y1="0" x2="{zero:.1f}" y2="{height}" stroke="#889" stroke-width="1"/>')
    return _svg(height, body, "bar chart")


def _short(text: str, n: int = 26) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"
