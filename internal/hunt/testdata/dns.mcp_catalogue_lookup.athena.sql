SELECT "time" AS "time", "cloud"."account"."uid" AS "account", "cloud"."region" AS "region", "class_uid" AS "class_uid", "metadata"."uid" AS "event_uid", "src_endpoint"."ip" AS "src_endpoint.ip", "query"."hostname" AS "query.hostname" FROM "amazon_security_lake_glue_db_us_east_1"."amazon_security_lake_table_us_east_1_route53_2_0" WHERE "time_dt" >= CAST(? AS TIMESTAMP) AND "time_dt" <= CAST(? AS TIMESTAMP) AND (COALESCE(CASE WHEN regexp_replace(lower("query"."hostname"), '\.$', '') IN (?) THEN TRUE WHEN regexp_replace(lower("query"."hostname"), '\.$', '') IN (?) THEN FALSE WHEN regexp_like(regexp_replace(lower("query"."hostname"), '\.$', ''), ?) THEN TRUE ELSE FALSE END, FALSE) AND NOT COALESCE(lower("query"."hostname") LIKE ? ESCAPE '\', FALSE)) ORDER BY "time";

-- parameters:
-- 1: "2026-05-01 00:00:00.000"
-- 2: "2026-05-01 23:59:59.999"
-- 3: "mcp.atlassian.com"
-- 4: "api.githubcopilot.com"
-- 5: "^([^.]+\\.)+mcp\\.cloudflare\\.com$"
-- 6: "%.amazonaws.com"
