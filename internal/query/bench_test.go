package query

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"testing"
)

// BenchmarkTopTalkers runs a typical aggregate, the top talkers by bytes sent, over a
// generated lake of 1M VPC flows in 10 files across 7 days and 2 accounts.
func BenchmarkTopTalkers(b *testing.B) {
	const rows = 1_000_000
	lake := b.TempDir()
	files := genFlows(b, lake, rows, rows/10)
	ctx := context.Background()
	db, err := Open(ctx, lake)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	if got := db.Tables()[0].Files; got != files {
		b.Fatalf("vpc_flow has %d files, want %d", got, files)
	}
	const top = `SELECT src_endpoint.ip AS ip, sum(traffic.bytes) AS bytes, count(*) AS flows,
		count(DISTINCT dst_endpoint.ip) AS peers
		FROM vpc_flow GROUP BY 1 ORDER BY bytes DESC LIMIT 10`
	b.ReportAllocs()
	for b.Loop() {
		res, err := db.Query(ctx, top)
		if err != nil {
			b.Fatal(err)
		}
		if len(res.Rows) != 10 {
			b.Fatalf("got %d rows", len(res.Rows))
		}
	}
	b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkQueryOverhead measures what Query adds to a trivial statement: the read-only
// check (parse, serialize, prepare), the row limit wrapping and the conversion.
func BenchmarkQueryOverhead(b *testing.B) {
	ctx := context.Background()
	db, err := Open(ctx, b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	b.Run("Query", func(b *testing.B) {
		for b.Loop() {
			if _, err := db.Query(ctx, "SELECT 42, 'x'"); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("QueryTrusted", func(b *testing.B) {
		for b.Loop() {
			if _, err := db.QueryTrusted(ctx, "SELECT 42, 'x'"); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkDuckDBParquetWrite measures how fast DuckDB itself encodes the lake's Network
// Activity rows as Parquet (COPY with ZSTD, all threads), to compare with the lake's
// parquet-go writer (internal/lake BenchmarkTxnWrite): DuckDB is not the faster encoder
// of this nested schema, so the lake does not use it to write.
func BenchmarkDuckDBParquetWrite(b *testing.B) {
	const rows = 500_000
	dir := b.TempDir()
	genFlows(b, dir, rows, rows)
	db, err := sql.Open("duckdb", "")
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	glob := filepath.Join(dir, "VPC_FLOW", "**", "*.parquet")
	if _, err := db.Exec(`SET autoinstall_known_extensions=false; SET autoload_known_extensions=false;
		CREATE TABLE flows AS SELECT * FROM read_parquet(?)`, glob); err != nil {
		b.Fatal(err)
	}
	out := filepath.Join(dir, "out.parquet")
	for b.Loop() {
		if _, err := db.Exec(fmt.Sprintf(`COPY flows TO '%s' (FORMAT parquet, COMPRESSION zstd)`, out)); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}
