-- The headline figures per currency, for the top of the report and the command's output.
-- Needs the report's temp tables rpt_rollforward, rpt_credits, rpt_unapplied, rpt_aging
-- and rpt_gl (empty without a GL file).
-- The movements are the roll-forward's own, so the row adds up: opening + issued +
-- credits applied + credits unlinked + payments + debits voided + overpayment floor = closing.
SELECT r.currency, r.opening_unpaid, r.debits_issued, r.credits_applied, r.credits_unlinked,
       r.payments, r.debits_voided, r.overpayment_floor,
       r.closing_unpaid, r.unpaid_at_period_end, r.difference,
       coalesce(ci.n, 0) AS credits_issued,
       coalesce(ci.net, 0)::DECIMAL(18,3) AS credits_issued_amount,
       coalesce(u.available, 0)::DECIMAL(18,3) AS unapplied_credits,
       coalesce(a.over90, 0)::DECIMAL(18,3) AS unpaid_over_90_days,
       CASE WHEN $has_gl THEN coalesce(g.difference, 0) END::DECIMAL(18,3) AS gl_difference
FROM rpt_rollforward r
LEFT JOIN (SELECT currency, count(*) FILTER (WHERE voided_on IS NULL) AS n,
                  sum(total) FILTER (WHERE voided_on IS NULL) AS net
           FROM rpt_credits GROUP BY 1) ci USING (currency)
LEFT JOIN (SELECT currency, sum(available) AS available FROM rpt_unapplied GROUP BY 1) u USING (currency)
LEFT JOIN (SELECT currency, sum(unpaid_amount) AS over90 FROM rpt_aging WHERE bucket = '90+' GROUP BY 1) a
    USING (currency)
LEFT JOIN (SELECT currency, sum(abs(difference)) AS difference FROM rpt_gl GROUP BY 1) g USING (currency)
ORDER BY r.currency
