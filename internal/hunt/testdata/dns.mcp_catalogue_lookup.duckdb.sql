SELECT "time" AS "time", "cloud"."account"."uid" AS "account", "cloud"."region" AS "region", "class_uid" AS "class_uid", "metadata"."uid" AS "event_uid", "src_endpoint"."ip" AS "src_endpoint.ip", "query"."hostname" AS "query.hostname" FROM "route53" WHERE "eventday" >= ? AND "eventday" <= ? AND "time" >= ? AND "time" <= ? AND (COALESCE(CASE WHEN rtrim(lower("query"."hostname"), '.') IN (?) THEN TRUE WHEN rtrim(lower("query"."hostname"), '.') IN (?) THEN FALSE WHEN regexp_matches(rtrim(lower("query"."hostname"), '.'), ?) THEN TRUE ELSE FALSE END, FALSE) AND NOT COALESCE(lower("query"."hostname") LIKE ? ESCAPE '\', FALSE)) ORDER BY "time";

-- parameters:
-- 1: "20260501"
-- 2: "20260501"
-- 3: 1777593600000
-- 4: 1777679999999
-- 5: "mcp.atlassian.com"
-- 6: "api.githubcopilot.com"
-- 7: "^([^.]+\\.)+mcp\\.cloudflare\\.com$"
-- 8: "%.amazonaws.com"
