-- Credits issued in the period, summed per currency by reason, by origin and by account
-- (one result; `dimension` says which). `voided` is the total of the credits among
-- them that were voided by period end; net = total − voided. Needs temp table rpt_credits.
WITH c AS (
    SELECT currency, 'reason' AS dimension, coalesce(reason, '(none)') AS value, * EXCLUDE (currency)
    FROM rpt_credits
    UNION ALL
    SELECT currency, 'origin', coalesce(origin, '(none)'), * EXCLUDE (currency) FROM rpt_credits
    UNION ALL
    SELECT currency, 'account_id', account_id, * EXCLUDE (currency) FROM rpt_credits
)
SELECT dimension, currency, value,
       count(*) AS credits,
       sum(total)::DECIMAL(18,3) AS total,
       coalesce(sum(total) FILTER (WHERE voided_on IS NOT NULL), 0)::DECIMAL(18,3) AS voided,
       coalesce(sum(total) FILTER (WHERE voided_on IS NULL), 0)::DECIMAL(18,3) AS net,
       sum(applied)::DECIMAL(18,3) AS applied,
       sum(available)::DECIMAL(18,3) AS available
FROM c
GROUP BY ALL
ORDER BY dimension, currency, total DESC, value
