SELECT "time" AS "time", "cloud"."account"."uid" AS "account", "cloud"."region" AS "region", "class_uid" AS "class_uid", "metadata"."uid" AS "event_uid", "api"."operation" AS "api.operation", CASE WHEN json_valid("api"."request"."data") THEN CASE json_type("api"."request"."data", '$.parameters.commands') WHEN 'ARRAY' THEN json_extract_string("api"."request"."data", '$.parameters.commands[*]') ELSE [json_extract_string("api"."request"."data", '$.parameters.commands')] END END AS "api.request.data.parameters.commands", CASE WHEN json_valid("api"."request"."data") THEN CASE json_type("api"."request"."data", '$.userData') WHEN 'ARRAY' THEN json_extract_string("api"."request"."data", '$.userData[*]') ELSE [json_extract_string("api"."request"."data", '$.userData')] END END AS "api.request.data.userData" FROM "cloud_trail_mgmt" WHERE "eventday" >= ? AND "eventday" <= ? AND "time" >= ? AND "time" <= ? AND "class_uid" = 6003 AND ((COALESCE(lower("api"."operation") = ?, FALSE) AND COALESCE(len(list_filter(CASE WHEN json_valid("api"."request"."data") THEN CASE json_type("api"."request"."data", '$.userData') WHEN 'ARRAY' THEN json_extract_string("api"."request"."data", '$.userData[*]') ELSE [json_extract_string("api"."request"."data", '$.userData')] END END, lambda h_v: lower(h_v) LIKE ? ESCAPE '\')) > 0, FALSE)) OR (COALESCE(lower("api"."operation") = ?, FALSE) AND COALESCE(len(list_filter(CASE WHEN json_valid("api"."request"."data") THEN CASE json_type("api"."request"."data", '$.parameters.commands') WHEN 'ARRAY' THEN json_extract_string("api"."request"."data", '$.parameters.commands[*]') ELSE [json_extract_string("api"."request"."data", '$.parameters.commands')] END END, lambda h_v: regexp_matches(h_v, ?))) > 0, FALSE))) ORDER BY "time";

-- parameters:
-- 1: "20260501"
-- 2: "20260501"
-- 3: 1777593600000
-- 4: 1777679999999
-- 5: "runinstances"
-- 6: "%@modelcontextprotocol/%"
-- 7: "sendcommand"
-- 8: "npx .*mcp-server"
