#!/usr/bin/env python3
"""Generate the bundled sample data for ``recon`` (deterministic, stdlib only).

The files look like a cloud billing platform's export: debit invoices, their
items, payments, plus a bulk correction file and a cancellation file that
analysts would feed into ``recon``.

Usage::

    python scripts/make_sample_data.py            # writes to <repo>/data/
    python scripts/make_sample_data.py --out DIR  # writes elsewhere (tests)

Running it twice produces byte-identical files.  After writing, the script
re-reads the files from disk and asserts every content rule (``self_check``).
"""

from __future__ import annotations

import argparse
import calendar
import csv
import datetime as dt
import random
import re
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

SEED = 20261031
D = Decimal
ZERO = D(0)

MINOR = {"EUR": D("0.01"), "USD": D("0.01"), "JPY": D("1")}
FX = {"EUR": D("1"), "USD": D("1.08"), "JPY": D("160")}  # price multipliers
TAX_RATES = ("0.24", "0.20", "0.13", "0")

DATE_FROM = dt.date(2026, 8, 1)
DATE_TO = dt.date(2026, 10, 31)
PAY_LIMIT = dt.date(2026, 11, 20)
SAMPLE_MONTH = (2026, 10)

HEADERS = {
    "invoices.csv": [
        "invoice_id",
        "account_id",
        "type",
        "status",
        "invoice_date",
        "due_date",
        "currency",
        "total",
        "unpaid_amount",
    ],
    "invoice_items.csv": [
        "item_id",
        "invoice_id",
        "line_no",
        "description",
        "quantity",
        "unit_price",
        "tax_rate",
        "net_amount",
        "tax_amount",
        "amount",
        "period_start",
        "period_end",
    ],
    "payments.csv": ["payment_id", "invoice_id", "amount", "paid_on"],
    "corrections.csv": [
        "debit_invoice_id",
        "item_id",
        "quantity",
        "reason",
        "credit_date",
        "group",
    ],
    "cancellations.csv": ["item_id", "cancelled_on", "quantity"],
}

# account -> (tax rate, payment terms in days, {currency: number of invoices})
ACCOUNTS = {
    "ACC-1001": ("0.24", 30, {"EUR": 36}),
    "ACC-1002": ("0.20", 14, {"EUR": 28}),
    "ACC-1003": ("0.24", 30, {"EUR": 22, "USD": 5}),
    "ACC-1004": ("0", 30, {"USD": 30}),
    "ACC-1005": ("0", 14, {"EUR": 24}),  # EU reverse charge
    "ACC-1006": ("0.20", 30, {"EUR": 22, "JPY": 4}),
    "ACC-1007": ("0.24", 14, {"EUR": 26}),
    "ACC-1008": ("0.20", 30, {"EUR": 20}),
    "ACC-1009": ("0", 30, {"USD": 25}),
    "ACC-1010": ("0.24", 30, {"EUR": 22}),
    "ACC-1011": ("0.20", 14, {"EUR": 20}),
    "ACC-1012": ("0", 30, {"JPY": 16}),
}
DEMO_ACCOUNT, DEMO_CURRENCY, DEMO_COUNT = "ACC-1001", "EUR", 6

# (description, kind, price range in EUR, quantity range)
# kind: usage (previous month, 6-dec price, 3-dec qty), upfront (month in advance,
# integer qty, 2-dec price), oneoff (no period, integer qty, 2-dec price)
USAGE = [
    ("Compute vCPU-hours", ("0.031", "0.052"), ("200", "60000")),
    ("Compute GPU-hours (A100)", ("2.10", "2.95"), ("10", "2000")),
    ("Object storage GB-month", ("0.019", "0.026"), ("500", "250000")),
    ("Block storage SSD GB-month", ("0.08", "0.12"), ("100", "40000")),
    ("Egress TB", ("82", "95"), ("0.2", "60")),
    ("Kubernetes cluster fee", ("0.09", "0.11"), ("300", "5000")),
    ("Load balancer hours", ("0.022", "0.030"), ("700", "8000")),
    ("Managed database instance-hours", ("0.18", "0.55"), ("700", "12000")),
    ("Snapshot storage GB-month", ("0.045", "0.055"), ("100", "30000")),
]
UPFRONT = [
    ("Support plan — Business", ("450", "1500"), (1, 1)),
    ("Support plan — Enterprise", ("12000", "15000"), (1, 1)),
    ("Database licence — Enterprise (per core)", ("95", "140"), (2, 48)),
    ("OS licence — Windows Server (per VM)", ("18", "32"), (1, 50)),
    ("Monitoring subscription — Pro (per host)", ("7.50", "15"), (1, 50)),
    ("Reserved instance — 8 vCPU (monthly)", ("180", "260"), (1, 20)),
    ("Training — e-learning subscription (per seat)", ("25", "40"), (1, 30)),
]
REDUCED_RATE_DESC = "Training — e-learning subscription (per seat)"  # 0.13 where taxed
ONEOFF = [
    ("Onboarding service", ("1500", "4000"), (1, 1)),
    ("Data migration service", ("2500", "9000"), (1, 1)),
    ("Architecture review workshop", ("1800", "1800"), (1, 3)),
]
CORR_REASONS = [
    "Duplicate charge",
    "Service outage SLA credit",
    "Price correction",
    "Goodwill",
    "Wrong quantity billed",
    "Cancelled before start",
]
WHOLE_INVOICE_REASONS = ["Duplicate charge", "Invoice issued in error"]

RE = {
    "invoice_id": re.compile(r"^INV-2026-\d{6}$"),
    "item_id": re.compile(r"^ITM-\d{7}$"),
    "payment_id": re.compile(r"^PAY-\d{6}$"),
    "account_id": re.compile(r"^ACC-\d{4}$"),
    "date": re.compile(r"^\d{4}-\d{2}-\d{2}$"),
    "money2": re.compile(r"^\d+\.\d{2}$"),
    "money0": re.compile(r"^\d+$"),
    "int": re.compile(r"^[1-9]\d*$"),
    "qty3": re.compile(r"^\d+\.\d{3}$"),
    "price6": re.compile(r"^\d+\.\d{6}$"),
}


# --------------------------------------------------------------------------- helpers
def money(x: Decimal, cur: str) -> Decimal:
    return x.quantize(MINOR[cur], rounding=ROUND_HALF_UP)


def fmt_money(x: Decimal, cur: str) -> str:
    return format(money(x, cur), "f")


def rand_dec(rng: random.Random, lo: str, hi: str, places: int) -> Decimal:
    scale = 10**places
    a, b = int(D(lo) * scale), int(D(hi) * scale)
    return D(rng.randint(a, b)) / scale


def month_bounds(y: int, m: int) -> tuple[dt.date, dt.date]:
    return dt.date(y, m, 1), dt.date(y, m, calendar.monthrange(y, m)[1])


def add_months(y: int, m: int, k: int) -> tuple[int, int]:
    n = y * 12 + (m - 1) + k
    return n // 12, n % 12 + 1


def rand_date(rng: random.Random, lo: dt.date, hi: dt.date) -> dt.date:
    return lo + dt.timedelta(days=rng.randint(0, (hi - lo).days))


@dataclass
class Item:
    description: str
    kind: str  # usage | upfront | oneoff
    quantity: Decimal
    unit_price: Decimal
    tax_rate: str
    period: tuple[dt.date, dt.date] | None
    item_id: str = ""
    line_no: int = 0
    net: Decimal = ZERO
    tax: Decimal = ZERO
    amount: Decimal = ZERO

    def qty_str(self) -> str:
        return f"{self.quantity:.3f}" if self.kind == "usage" else str(int(self.quantity))

    def price_str(self, cur: str) -> str:
        if self.kind == "usage" or self.unit_price != self.unit_price.quantize(D("0.01")):
            return f"{self.unit_price:.6f}"
        if cur == "JPY":
            return str(int(self.unit_price))
        return f"{self.unit_price:.2f}"


@dataclass
class Invoice:
    account: str
    currency: str
    invoice_date: dt.date
    due_date: dt.date
    invoice_id: str = ""
    bucket: str = "unpaid"  # paid | partly | unpaid | void
    reserved: bool = False
    items: list[Item] = field(default_factory=list)
    total: Decimal = ZERO
    paid: Decimal = ZERO


# --------------------------------------------------------------------------- generation
def make_item(rng: random.Random, inv: Invoice, kind: str | None = None) -> Item:
    cur = inv.currency
    acc_rate = ACCOUNTS[inv.account][0]
    y, m = inv.invoice_date.year, inv.invoice_date.month
    if kind is None:
        r = rng.random()
        kind = "oneoff" if r < 0.012 else ("usage" if r < 0.62 else "upfront")
    if kind == "usage":
        desc, (plo, phi), (qlo, qhi) = rng.choice(USAGE)
        qty = rand_dec(rng, qlo, qhi, 3)
        price = (rand_dec(rng, plo, phi, 6) * FX[cur]).quantize(D("0.000001"))
        period = month_bounds(*add_months(y, m, -1))
    else:
        desc, (plo, phi), (qlo, qhi) = rng.choice(UPFRONT if kind == "upfront" else ONEOFF)
        qty = D(rng.randint(qlo, qhi))
        price = rand_dec(rng, plo, phi, 2) * FX[cur]
        price = price.quantize(D("1") if cur == "JPY" else D("0.01"), rounding=ROUND_HALF_UP)
        if kind == "upfront":
            period = month_bounds(*add_months(y, m, 1 if rng.random() < 0.25 else 0))
        else:
            period = None
    rate = "0.13" if (desc == REDUCED_RATE_DESC and acc_rate != "0") else acc_rate
    return Item(desc, kind, qty, price, rate, period)


def finalize(inv: Invoice, first_item_no: int) -> int:
    cur = inv.currency
    for i, it in enumerate(inv.items, start=1):
        it.line_no = i
        it.item_id = f"ITM-{first_item_no:07d}"
        first_item_no += 1
        it.net = money(it.quantity * it.unit_price, cur)
        it.tax = money(it.net * D(it.tax_rate), cur)
        it.amount = it.net + it.tax
    inv.total = sum((it.amount for it in inv.items), ZERO)
    return first_item_no


def generate(rng: random.Random):
    # 1. invoice headers ----------------------------------------------------------
    headers: list[Invoice] = []
    months = [(2026, 8), (2026, 9), (2026, 10)]
    for acc, (_rate, terms, per_cur) in ACCOUNTS.items():
        for cur, n in per_cur.items():
            dates: list[dt.date] = []
            if (acc, cur) == (DEMO_ACCOUNT, DEMO_CURRENCY):
                # 10 October invoices on distinct days so "the 6 oldest" is unambiguous
                dates += [dt.date(2026, 10, d) for d in rng.sample(range(1, 32), 10)]
            while len(dates) < n:
                y, m = rng.choices(months, weights=[31, 31, 38])[0]
                dates.append(rand_date(rng, *month_bounds(y, m)))
            for d in dates:
                t = terms if rng.random() < 0.9 else (14 if terms == 30 else 30)
                headers.append(Invoice(acc, cur, d, d + dt.timedelta(days=t)))
    rng.shuffle(headers)
    headers.sort(key=lambda i: i.invoice_date)  # stable: random order within a day
    for n, inv in enumerate(headers, start=1):
        inv.invoice_id = f"INV-2026-{n:06d}"
    invoices = headers

    # 2. reserved demo invoices ---------------------------------------------------
    demo = demo_ids_from(invoices)
    for inv in invoices:
        inv.reserved = inv.invoice_id in demo

    # 3. payment buckets ----------------------------------------------------------
    pool = [i for i in invoices if not i.reserved]
    rng.shuffle(pool)
    for inv in pool[:2]:
        inv.bucket = "void"
    for inv in pool[2:107]:
        inv.bucket = "paid"
    for inv in pool[107:152]:
        inv.bucket = "partly"

    # 4. items --------------------------------------------------------------------
    for inv in invoices:
        n = rng.choices(range(1, 7), weights=[14, 22, 24, 18, 12, 10])[0]
        inv.items = []
        while len(inv.items) < n:  # no description twice on one invoice
            it = make_item(rng, inv)
            if it.description not in {x.description for x in inv.items}:
                inv.items.append(it)
    by_id = {i.invoice_id: i for i in invoices}

    def pick(bucket: str, cur: str) -> Invoice:
        cands = [
            i
            for i in invoices
            if i.bucket == bucket and i.currency == cur and not i.reserved and len(i.items) < 6
        ]
        return rng.choice(cands)

    def plant(inv: Invoice, item: Item) -> None:
        y, m = inv.invoice_date.year, inv.invoice_date.month
        if item.kind == "usage":
            item.period = month_bounds(*add_months(y, m, -1))
        elif item.kind == "upfront":
            item.period = month_bounds(y, m)
        rng_pos = rng.randint(0, len(inv.items))
        inv.items.insert(rng_pos, item)

    specials = {}
    # the "nasty thirds" item: 3 x 33.333333 = 99.999999 -> 100.00
    nasty_inv = pick("unpaid", "EUR")
    r = ACCOUNTS[nasty_inv.account][0]
    plant(
        nasty_inv,
        Item("Database licence — Standard (per seat)", "upfront", D(3), D("33.333333"), r, None),
    )
    specials["nasty"] = nasty_inv.invoice_id
    # large amounts (> 1,000,000.00 net)
    big1 = pick("paid", "EUR")
    plant(
        big1,
        Item(
            "Dedicated host reservation (monthly)",
            "upfront",
            D(12),
            D("91250.00"),
            ACCOUNTS[big1.account][0],
            None,
        ),
    )
    big2 = pick("unpaid", "EUR")
    plant(
        big2,
        Item(
            "Compute vCPU-hours",
            "usage",
            D("28500000.000"),
            D("0.038125"),
            ACCOUNTS[big2.account][0],
            None,
        ),
    )
    big3 = pick("partly", "USD")
    plant(
        big3,
        Item(
            "Compute GPU-hours (A100)",
            "usage",
            D("310000.000"),
            D("2.754321"),
            ACCOUNTS[big3.account][0],
            None,
        ),
    )
    specials["large"] = [big1.invoice_id, big2.invoice_id, big3.invoice_id]

    next_item = 1
    for inv in invoices:
        next_item = finalize(inv, next_item)

    # 5. payments -----------------------------------------------------------------
    raw_payments: list[tuple[dt.date, str, Decimal]] = []
    for inv in invoices:
        cur, q = inv.currency, MINOR[inv.currency]
        hi = min(inv.due_date + dt.timedelta(days=15), PAY_LIMIT)
        if inv.bucket == "paid":
            raw_payments.append((rand_date(rng, inv.invoice_date, hi), inv.invoice_id, inv.total))
        elif inv.bucket == "partly":
            assert inv.total >= 10 * q, inv.invoice_id
            frac = rand_dec(rng, "0.10", "0.90", 2)
            part = min(max(money(inv.total * frac, cur), 2 * q), inv.total - q)
            if rng.random() < 0.4:
                first = min(max(money(part * rand_dec(rng, "0.3", "0.7", 2), cur), q), part - q)
                amounts = [first, part - first]
            else:
                amounts = [part]
            days = sorted(rand_date(rng, inv.invoice_date, hi) for _ in amounts)
            raw_payments += [(d, inv.invoice_id, a) for d, a in zip(days, amounts, strict=True)]
    raw_payments.sort(key=lambda p: (p[0], p[1]))
    payments = []
    for n, (d, iid, a) in enumerate(raw_payments, start=1):
        payments.append((f"PAY-{n:06d}", iid, a, d))
        by_id[iid].paid += a

    # 6. corrections --------------------------------------------------------------
    cands = [i for i in invoices if i.bucket == "unpaid" and not i.reserved]
    corr_invoices: list[tuple[Invoice, str]] = []  # (invoice, group)
    used: set[str] = {nasty_inv.invoice_id}
    by_key = defaultdict(list)
    for inv in cands:
        if inv.invoice_id not in used:
            by_key[(inv.account, inv.currency)].append(inv)
    keys = sorted(k for k, v in by_key.items() if len(v) >= 3)
    rng.shuffle(keys)
    group_credit_date: dict[str, dt.date | None] = {}
    for g, (key, size) in enumerate(zip(keys[:3], [2, 3, 2], strict=True), start=1):
        members = rng.sample(by_key[key], size)
        gname = f"G{g}"
        latest = max(m.invoice_date for m in members)
        group_credit_date[gname] = (
            None if g == 2 else rand_date(rng, max(latest, dt.date(2026, 10, 1)), DATE_TO)
        )
        for mbr in members:
            corr_invoices.append((mbr, gname))
            used.add(mbr.invoice_id)
    rest = [i for i in cands if i.invoice_id not in used]
    rng.shuffle(rest)
    whole = rest[:4]
    others = rest[4 : 4 + 40 - len(corr_invoices) - 4 - 1] + [nasty_inv]
    corr_invoices += [(i, "") for i in whole + others]
    whole_ids = {i.invoice_id for i in whole}

    def credit_date(inv: Invoice, group: str) -> str:
        if group:
            d = group_credit_date[group]
        else:
            d = (
                None
                if rng.random() < 0.5
                else rand_date(rng, max(inv.invoice_date, dt.date(2026, 10, 1)), DATE_TO)
            )
        return d.isoformat() if d else ""

    def partial_qty(it: Item, remaining: Decimal, cur: str, halves: bool = True) -> Decimal:
        for _ in range(100):
            if it.kind == "usage":
                q = (remaining * rand_dec(rng, "0.05", "0.60", 2)).quantize(D("0.001"))
            elif remaining >= 2 and (not halves or rng.random() < 0.85):
                q = D(rng.randint(1, int(remaining) - 1))
            else:
                q = min(D("0.5"), remaining)
            if ZERO < q <= remaining and money(q * it.unit_price, cur) > 0:
                return q
        raise AssertionError(f"no partial quantity for {it.item_id}")

    def fmt_qty(it: Item, q: Decimal) -> str:
        if it.kind == "usage":
            return f"{q:.3f}"
        return str(int(q)) if q == q.to_integral_value() else format(q.normalize(), "f")

    corrections = []
    for inv, group in sorted(corr_invoices, key=lambda t: t[0].invoice_id):
        cdate = credit_date(inv, group)
        if inv.invoice_id in whole_ids:
            corrections.append(
                [inv.invoice_id, "", "", rng.choice(WHOLE_INVOICE_REASONS), cdate, group]
            )
            continue
        if inv is nasty_inv:
            nasty = next(it for it in inv.items if it.unit_price == D("33.333333"))
            for reason in ("Price correction", "Goodwill", "Service outage SLA credit"):
                corrections.append([inv.invoice_id, nasty.item_id, "1", reason, cdate, group])
            targets = [it for it in inv.items if it is not nasty]
            targets = rng.sample(targets, min(1, len(targets)))
        else:
            targets = rng.sample(inv.items, min(len(inv.items), rng.randint(1, 4)))
        for it in sorted(targets, key=lambda x: x.line_no):
            reason = rng.choice(CORR_REASONS)
            if rng.random() < 0.08:
                corrections.append([inv.invoice_id, it.item_id, "", reason, cdate, group])
                continue
            remaining = it.quantity
            for k in range(rng.choice([1, 1, 2, 2])):
                if k:  # a second row on the same item never duplicates the first
                    reason = rng.choice([x for x in CORR_REASONS if x != reason])
                q = partial_qty(it, remaining, inv.currency) if remaining > 0 else None
                if q is None:
                    break
                remaining -= q
                corrections.append(
                    [inv.invoice_id, it.item_id, fmt_qty(it, q), reason, cdate, group]
                )

    # 7. cancellations ------------------------------------------------------------
    corr_ids = {inv.invoice_id for inv, _ in corr_invoices}
    canc_pool = [
        (inv, it)
        for inv in invoices
        if inv.bucket in ("unpaid", "partly")
        and not inv.reserved
        and inv.invoice_id not in corr_ids
        for it in inv.items
        if it.period is not None
    ]
    # only subscriptions/licences/support (paid upfront) are cancelled mid-period;
    # usage of a past month cannot be cancelled
    upfront = [p for p in canc_pool if p[1].kind == "upfront" and p[1].period[0] < PAY_LIMIT]
    chosen = rng.sample(upfront, 15)
    partial_ok = [p for p in chosen if p[1].quantity >= 2]
    partial_set = {id(p[1]) for p in rng.sample(partial_ok, 4)}
    cancellations = []
    for inv, it in sorted(chosen, key=lambda p: p[1].item_id):
        start, end = it.period
        # strictly after period_start, on or before period_end (and not after the
        # export's "today", the payment cut-off)
        day = start + dt.timedelta(days=rng.randint(1, (min(end, PAY_LIMIT) - start).days))
        qty = ""
        if id(it) in partial_set:
            qty = fmt_qty(it, partial_qty(it, it.quantity, inv.currency, halves=False))
        cancellations.append([it.item_id, day.isoformat(), qty])

    return invoices, payments, corrections, cancellations, demo, specials


def demo_ids_from(invoices) -> list[str]:
    """The 6 oldest October invoices of ACC-1001 in EUR (date, then id)."""
    octo = sorted(
        (i.invoice_date, i.invoice_id)
        for i in invoices
        if i.account == DEMO_ACCOUNT
        and i.currency == DEMO_CURRENCY
        and (i.invoice_date.year, i.invoice_date.month) == SAMPLE_MONTH
    )
    return [iid for _d, iid in octo[:DEMO_COUNT]]


# --------------------------------------------------------------------------- output
def write_csv(path: Path, header: list[str], rows) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)


def write_all(out: Path, invoices, payments, corrections, cancellations, demo) -> None:
    out.mkdir(parents=True, exist_ok=True)
    inv_rows, item_rows = [], []
    for inv in invoices:
        cur = inv.currency
        unpaid = ZERO if inv.bucket == "void" else inv.total - inv.paid
        status = "void" if inv.bucket == "void" else ("paid" if unpaid == 0 else "unpaid")
        inv_rows.append(
            [
                inv.invoice_id,
                inv.account,
                "debit",
                status,
                inv.invoice_date.isoformat(),
                inv.due_date.isoformat(),
                cur,
                fmt_money(inv.total, cur),
                fmt_money(unpaid, cur),
            ]
        )
        for it in inv.items:
            ps, pe = (it.period[0].isoformat(), it.period[1].isoformat()) if it.period else ("", "")
            item_rows.append(
                [
                    it.item_id,
                    inv.invoice_id,
                    it.line_no,
                    it.description,
                    it.qty_str(),
                    it.price_str(cur),
                    it.tax_rate,
                    fmt_money(it.net, cur),
                    fmt_money(it.tax, cur),
                    fmt_money(it.amount, cur),
                    ps,
                    pe,
                ]
            )
    curs = {i.invoice_id: i.currency for i in invoices}
    pay_rows = [[pid, iid, fmt_money(a, curs[iid]), d.isoformat()] for pid, iid, a, d in payments]
    write_csv(out / "invoices.csv", HEADERS["invoices.csv"], inv_rows)
    write_csv(out / "invoice_items.csv", HEADERS["invoice_items.csv"], item_rows)
    write_csv(out / "payments.csv", HEADERS["payments.csv"], pay_rows)
    write_csv(out / "corrections.csv", HEADERS["corrections.csv"], corrections)
    write_csv(out / "cancellations.csv", HEADERS["cancellations.csv"], cancellations)
    (out / "demo_invoices.txt").write_text("".join(f"{i}\n" for i in demo), encoding="utf-8")


# --------------------------------------------------------------------------- self-check
def read_csv(path: Path, name: str) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        r = csv.reader(fh)
        header = next(r)
        assert header == HEADERS[name], (name, header)
        rows = [dict(zip(header, row, strict=True)) for row in r]
    return rows


def self_check(out: Path) -> dict:  # noqa: C901 - a flat list of assertions
    day = dt.date.fromisoformat
    invs = read_csv(out / "invoices.csv", "invoices.csv")
    items = read_csv(out / "invoice_items.csv", "invoice_items.csv")
    pays = read_csv(out / "payments.csv", "payments.csv")
    corr = read_csv(out / "corrections.csv", "corrections.csv")
    canc = read_csv(out / "cancellations.csv", "cancellations.csv")
    demo = (out / "demo_invoices.txt").read_text(encoding="utf-8").split()

    def amt(s: str, cur: str) -> Decimal:
        assert RE["money0" if cur == "JPY" else "money2"].match(s), (s, cur)
        return D(s)

    # invoices
    inv = {r["invoice_id"]: r for r in invs}
    assert len(inv) == len(invs), "duplicate invoice ids"
    assert 280 <= len(invs) <= 320
    cur_count = defaultdict(int)
    acc_curs = defaultdict(set)
    for r in invs:
        assert RE["invoice_id"].match(r["invoice_id"]) and RE["account_id"].match(r["account_id"])
        assert r["type"] == "debit" and r["status"] in ("paid", "unpaid", "void")
        assert r["currency"] in MINOR
        d, due = day(r["invoice_date"]), day(r["due_date"])
        assert DATE_FROM <= d <= DATE_TO and (due - d).days in (14, 30)
        cur_count[r["currency"]] += 1
        acc_curs[r["account_id"]].add(r["currency"])
    assert 10 <= len(acc_curs) <= 14
    assert sum(len(c) == 2 for c in acc_curs.values()) >= 2
    assert 15 <= cur_count["JPY"] <= 25 and 50 <= cur_count["USD"] <= 70, cur_count
    assert cur_count["EUR"] > cur_count["USD"]
    october = sum(r["invoice_date"].startswith("2026-10") for r in invs)
    assert 0.35 <= october / len(invs) <= 0.45, october

    # items
    by_inv = defaultdict(list)
    item = {}
    for r in items:
        assert RE["item_id"].match(r["item_id"]) and r["item_id"] not in item
        item[r["item_id"]] = r
        assert r["invoice_id"] in inv
        by_inv[r["invoice_id"]].append(r)
        cur = inv[r["invoice_id"]]["currency"]
        q, p = D(r["quantity"]), D(r["unit_price"])
        assert q > 0 and p > 0
        usage_like = bool(RE["qty3"].match(r["quantity"]))
        assert usage_like or RE["int"].match(r["quantity"]), r
        if not usage_like:
            assert 1 <= q <= 50, r
        if usage_like:
            assert RE["price6"].match(r["unit_price"]), r
        else:
            assert (
                RE["money0" if cur == "JPY" else "money2"].match(r["unit_price"])
                or r["unit_price"] == "33.333333"
            ), r
        assert r["tax_rate"] in TAX_RATES
        net, tax, total = (amt(r[k], cur) for k in ("net_amount", "tax_amount", "amount"))
        assert net == money(q * p, cur), r
        assert tax == money(net * D(r["tax_rate"]), cur), r
        assert total == net + tax, r
        d = day(inv[r["invoice_id"]]["invoice_date"])
        if r["period_start"] == "":
            assert r["period_end"] == "" and not usage_like, r
            continue
        ps, pe = day(r["period_start"]), day(r["period_end"])
        assert ps.day == 1 and pe == month_bounds(ps.year, ps.month)[1], r
        if usage_like:
            assert (ps.year, ps.month) == add_months(d.year, d.month, -1), r
        else:
            assert ps >= d.replace(day=1), r
    assert {r["tax_rate"] for r in items} == set(TAX_RATES)
    assert 3 <= sum(r["period_start"] == "" for r in items) <= 25
    for iid, r in inv.items():
        its = by_inv[iid]
        assert len({x["description"] for x in its}) == len(its), iid
        assert 1 <= len(its) <= 6 and [int(x["line_no"]) for x in its] == list(
            range(1, len(its) + 1)
        )
        assert amt(r["total"], r["currency"]) == sum(D(x["amount"]) for x in its), iid
    nasty = [
        r
        for r in items
        if r["quantity"] == "3"
        and r["unit_price"] == "33.333333"
        and inv[r["invoice_id"]]["currency"] == "EUR"
        and r["net_amount"] == "100.00"
    ]
    assert len(nasty) == 1
    assert any(
        inv[r["invoice_id"]]["currency"] == "EUR" and D(r["net_amount"]) > 1_000_000 for r in items
    )

    # payments
    paid = defaultdict(lambda: ZERO)
    pay_ids = set()
    for r in pays:
        assert RE["payment_id"].match(r["payment_id"]) and r["payment_id"] not in pay_ids
        pay_ids.add(r["payment_id"])
        i = inv[r["invoice_id"]]
        a = amt(r["amount"], i["currency"])
        assert a > 0
        assert day(i["invoice_date"]) <= day(r["paid_on"]) <= PAY_LIMIT
        paid[r["invoice_id"]] += a
    n_paid = n_partly = n_void = 0
    for iid, r in inv.items():
        cur, total, unpaid = r["currency"], D(r["total"]), amt(r["unpaid_amount"], r["currency"])
        if r["status"] == "void":
            n_void += 1
            assert unpaid == 0 and iid not in paid
            continue
        assert unpaid == total - paid.get(iid, ZERO) and unpaid >= 0
        assert r["status"] == ("paid" if unpaid == 0 else "unpaid")
        n_paid += unpaid == 0
        n_partly += 0 < paid.get(iid, ZERO) < total
        assert sum(p["invoice_id"] == iid for p in pays) <= (1 if unpaid == 0 else 2)
    assert n_void == 2
    assert 0.30 <= n_paid / len(invs) <= 0.40 and 0.12 <= n_partly / len(invs) <= 0.18

    # demo invoices
    expect = sorted(
        (r["invoice_date"], r["invoice_id"])
        for r in invs
        if r["account_id"] == DEMO_ACCOUNT
        and r["currency"] == DEMO_CURRENCY
        and r["invoice_date"].startswith("2026-10")
    )
    assert len(expect) > DEMO_COUNT and expect[DEMO_COUNT - 1][0] < expect[DEMO_COUNT][0]
    assert demo == [iid for _d, iid in expect[:DEMO_COUNT]], demo
    for iid in demo:
        assert inv[iid]["status"] == "unpaid" and iid not in paid

    # corrections
    assert 100 <= len(corr) <= 140, len(corr)
    rows_by_inv = defaultdict(list)
    for r in corr:
        rows_by_inv[r["debit_invoice_id"]].append(r)
    assert 35 <= len(rows_by_inv) <= 45, len(rows_by_inv)
    credited = defaultdict(lambda: ZERO)
    whole_inv = whole_item = 0
    groups = defaultdict(set)
    for iid, rows in rows_by_inv.items():
        i = inv[iid]
        assert i["status"] == "unpaid" and iid not in demo
        for r in rows:
            assert r["reason"]
            if r["credit_date"]:
                c = day(r["credit_date"])
                assert r["credit_date"].startswith("2026-10") and c >= day(i["invoice_date"])
            if r["group"]:
                groups[r["group"]].add(iid)
            if r["item_id"] == "":
                assert r["quantity"] == "" and len(rows) == 1, iid
                whole_inv += 1
                continue
            it = item[r["item_id"]]
            assert it["invoice_id"] == iid
            same_item = [x for x in rows if x["item_id"] == r["item_id"]]
            if r["quantity"] == "":
                assert len(same_item) == 1, r
                whole_item += 1
                continue
            q = D(r["quantity"])
            assert q > 0 and money(q * D(it["unit_price"]), i["currency"]) > 0, r
            credited[r["item_id"]] += q
    for iid_, q in credited.items():
        assert q <= D(item[iid_]["quantity"]), iid_
    assert whole_inv >= 2 and whole_item >= 2
    assert sum(r["group"] == "" for r in corr) > len(corr) / 2
    assert len(groups) >= 2
    for g, members in groups.items():
        assert 2 <= len(members) <= 3, g
        assert len({(inv[m]["account_id"], inv[m]["currency"]) for m in members}) == 1, g
        for m in members:  # a group gathers whole debit invoices' rows
            assert all(r["group"] == g for r in rows_by_inv[m]), g
    assert len({tuple(r.values()) for r in corr}) == len(corr), "duplicate correction rows"
    nasty_rows = [r for r in corr if r["item_id"] == nasty[0]["item_id"]]
    assert [r["quantity"] for r in nasty_rows] == ["1", "1", "1"]

    # cancellations
    assert 12 <= len(canc) <= 18
    assert len({r["item_id"] for r in canc}) == len(canc)
    for r in canc:
        it = item[r["item_id"]]
        i = inv[it["invoice_id"]]
        assert i["status"] == "unpaid" and it["invoice_id"] not in rows_by_inv
        assert it["invoice_id"] not in demo and it["period_start"]
        assert day(it["period_start"]) < day(r["cancelled_on"]) <= day(it["period_end"]), r
        assert day(r["cancelled_on"]) <= PAY_LIMIT and not RE["qty3"].match(it["quantity"]), r
        if r["quantity"]:
            assert ZERO < D(r["quantity"]) <= D(it["quantity"]), r
    assert sum(r["quantity"] == "" for r in canc) > len(canc) / 2
    assert any(r["quantity"] for r in canc)

    return {
        "invoices": len(invs),
        "items": len(items),
        "payments": len(pays),
        "corrections": len(corr),
        "cancellations": len(canc),
        "demo": demo,
        "currencies": dict(cur_count),
        "october": october,
        "paid": n_paid,
        "partly": n_partly,
        "void": n_void,
        "corrected_invoices": len(rows_by_inv),
        "whole_invoice_rows": whole_inv,
        "whole_item_rows": whole_item,
        "groups": {g: sorted(m) for g, m in sorted(groups.items())},
    }


def main(argv: list[str] | None = None) -> int:
    default_out = Path(__file__).resolve().parent.parent / "data"
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--out", type=Path, default=default_out, help=f"output directory (default: {default_out})"
    )
    args = ap.parse_args(argv)
    rng = random.Random(SEED)
    invoices, payments, corrections, cancellations, demo, specials = generate(rng)
    write_all(args.out, invoices, payments, corrections, cancellations, demo)
    summary = self_check(args.out)
    summary["specials"] = specials
    for k, v in summary.items():
        print(f"{k}: {v}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
