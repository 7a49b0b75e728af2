SELECT "h_g1" AS "client", "h_window" AS "window_start", min("time") AS "first_seen", max("time") AS "last_seen", count(*) AS "events", array_sort(array_agg(DISTINCT "h_rule")) AS "rules", count(*) AS "value" FROM (SELECT CAST(? AS VARCHAR) AS "h_rule", "time", "time" - ("time" % ?) AS "h_window", "src_endpoint"."ip" AS "h_g1" FROM "amazon_security_lake_glue_db_us_east_1"."amazon_security_lake_table_us_east_1_route53_2_0" WHERE "time_dt" >= CAST(? AS TIMESTAMP) AND "time_dt" <= CAST(? AS TIMESTAMP) AND COALESCE(lower("query"."hostname") LIKE ? ESCAPE '\', FALSE)) AS h_u WHERE "h_g1" IS NOT NULL GROUP BY "h_g1", "h_window" HAVING count(*) >= ? ORDER BY "h_window", "h_g1";

-- parameters:
-- 1: "dns.mcp_label"
-- 2: 600000
-- 3: "2026-05-01 00:00:00.000"
-- 4: "2026-05-01 23:59:59.999"
-- 5: "mcp.%"
-- 6: 3
