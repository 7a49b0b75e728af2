// Package lake stores OCSF events as Parquet files in Amazon Security Lake's layout on a local
// directory, with atomic files, an idempotency manifest and a dead-letter area.
//
// # Layout
//
//	<lake>/<TABLE>/<sourceVersion>/region=<r>/accountId=<a>/eventDay=<YYYYMMDD>/<id16>-<n>.parquet
//	<lake>/_deadletter/<TABLE>/eventDay=<YYYYMMDD of ingest>/<id16>.ndjson
//	<lake>/_mcpwatch/manifest.ndjson      one JSON object per commit (see Entry)
//	<lake>/_mcpwatch/lock                 flock serializing commits of all processes
//	<lake>/_mcpwatch/pending/<txn>.json   commit journal: files being published (crash recovery)
//	<lake>/_mcpwatch/schema/<TABLE>.parquet  zero-row file with the table's schema
//	<lake>/_mcpwatch/tmp/<proc>.lock, <proc>/<txn>/  work area of a live Lake (see Open)
//
// TABLE is a Security Lake source name (VPC_FLOW, ROUTE53, CLOUD_TRAIL_MGMT, SH_FINDINGS, ...,
// and FINDINGS for mcpwatch's own findings) and sourceVersion is "2.0" for OCSF 1.1.0. eventDay
// is the UTC day of the event's time. <id16> is the first 16 hex digits of the input's SHA-256
// (or a random run id for commits that are not an input, such as a detection run) and <n>
// numbers the files of one commit in one partition, so that re-ingesting an input after a crash
// overwrites rather than duplicates.
//
// Partition values are escaped into safe path segments: bytes other than ASCII letters, digits,
// '-', '_' and '.' become %XX (upper-case hex, as Hive does), "." and ".." are escaped whole,
// an empty value becomes "unknown" (Unknown), and a value longer than 96 bytes once escaped is
// cut and suffixed with "~" and 16 hex digits of its SHA-256. eventDay is "unknown" for a time
// outside the years 1 to 9999. Nothing a record holds can name a path outside its table.
//
// # Writing
//
// A Txn holds the events and dead letters of one input. Rows are copied into per-partition
// batches; full batches are encoded by per-partition lanes (goroutines, one Parquet writer
// each) running in parallel with the caller, and a partition whose events span several lanes
// has its lanes' row groups concatenated (copied verbatim, without re-encoding) into one file
// when it closes. Rows of a file keep input order within a batch; batches are interleaved
// across lanes. Nothing is visible under the table directories until Commit, which, under the
// lock, checks the manifest for the input's hash, writes a journal, renames every file into
// place and appends the manifest entry.
//
// Files are standard Parquet that DuckDB, Trino (Athena) and Spark read: data page v1, PLAIN
// encoding, ZSTD compression, column chunk statistics and page indexes, LIST and MAP logical
// types, strings as UTF8 and timestamps as TIMESTAMP(MILLIS, UTC), with key-value metadata
// naming the writer, the OCSF version, the table, the source version and the input (see the
// Meta constants). DuckDB's hive partitioning decodes the %XX escapes of partition values.
package lake
