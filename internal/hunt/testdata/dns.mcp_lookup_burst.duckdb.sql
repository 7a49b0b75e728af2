SELECT "h_g1" AS "client", "h_window" AS "window_start", min("time") AS "first_seen", max("time") AS "last_seen", count(*) AS "events", list_sort(list(DISTINCT "h_rule")) AS "rules", count(*) AS "value" FROM (SELECT CAST(? AS VARCHAR) AS "h_rule", "time", "time" - ("time" % ?) AS "h_window", "src_endpoint"."ip" AS "h_g1" FROM "route53" WHERE "eventday" >= ? AND "eventday" <= ? AND "time" >= ? AND "time" <= ? AND COALESCE(lower("query"."hostname") LIKE ? ESCAPE '\', FALSE)) AS h_u WHERE "h_g1" IS NOT NULL GROUP BY "h_g1", "h_window" HAVING count(*) >= ? ORDER BY "h_window", "h_g1";

-- parameters:
-- 1: "dns.mcp_label"
-- 2: 600000
-- 3: "20260501"
-- 4: "20260501"
-- 5: 1777593600000
-- 6: 1777679999999
-- 7: "mcp.%"
-- 8: 3
