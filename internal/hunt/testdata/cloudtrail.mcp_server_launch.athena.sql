SELECT "time" AS "time", "cloud"."account"."uid" AS "account", "cloud"."region" AS "region", "class_uid" AS "class_uid", "metadata"."uid" AS "event_uid", "api"."operation" AS "api.operation", COALESCE(TRY_CAST(json_extract("api"."request"."data", '$.parameters.commands') AS ARRAY(VARCHAR)), ARRAY[json_extract_scalar("api"."request"."data", '$.parameters.commands')]) AS "api.request.data.parameters.commands", COALESCE(TRY_CAST(json_extract("api"."request"."data", '$.userData') AS ARRAY(VARCHAR)), ARRAY[json_extract_scalar("api"."request"."data", '$.userData')]) AS "api.request.data.userData" FROM "amazon_security_lake_glue_db_us_east_1"."amazon_security_lake_table_us_east_1_cloud_trail_mgmt_2_0" WHERE "time_dt" >= CAST(? AS TIMESTAMP) AND "time_dt" <= CAST(? AS TIMESTAMP) AND "class_uid" = 6003 AND ((COALESCE(lower("api"."operation") = ?, FALSE) AND COALESCE(any_match(COALESCE(TRY_CAST(json_extract("api"."request"."data", '$.userData') AS ARRAY(VARCHAR)), ARRAY[json_extract_scalar("api"."request"."data", '$.userData')]), h_v -> lower(h_v) LIKE ? ESCAPE '\'), FALSE)) OR (COALESCE(lower("api"."operation") = ?, FALSE) AND COALESCE(any_match(COALESCE(TRY_CAST(json_extract("api"."request"."data", '$.parameters.commands') AS ARRAY(VARCHAR)), ARRAY[json_extract_scalar("api"."request"."data", '$.parameters.commands')]), h_v -> regexp_like(h_v, ?)), FALSE))) ORDER BY "time";

-- parameters:
-- 1: "2026-05-01 00:00:00.000"
-- 2: "2026-05-01 23:59:59.999"
-- 3: "runinstances"
-- 4: "%@modelcontextprotocol/%"
-- 5: "sendcommand"
-- 6: "npx .*mcp-server"
