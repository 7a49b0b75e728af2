package lake

import (
	"io"
	"reflect"
	"testing"

	"github.com/mcpwatch/mcpwatch/internal/ocsf"
	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress/snappy"
	"github.com/parquet-go/parquet-go/compress/zstd"
)

// countingWriter counts the bytes written to it.
type countingWriter struct{ n int64 }

func (w *countingWriter) Write(p []byte) (int, error) { w.n += int64(len(p)); return len(p), nil }

// lowCardinality lists the Network Activity string columns that hold a handful of distinct
// values (paths as parquet.StructTag wants them: parent column names, then the Go field name).
var lowCardinality = []struct {
	path []string
	tag  string
}{
	{[]string{"ClassName"}, "class_name,optional"}, {[]string{"CategoryName"}, "category_name,optional"},
	{[]string{"ActivityName"}, "activity_name,optional"}, {[]string{"TypeName"}, "type_name,optional"},
	{[]string{"Severity"}, "severity,optional"}, {[]string{"Action"}, "action,optional"},
	{[]string{"Disposition"}, "disposition,optional"}, {[]string{"metadata", "Version"}, "version"},
	{[]string{"metadata", "product", "Name"}, "name,optional"}, {[]string{"metadata", "product", "VendorName"}, "vendor_name"},
	{[]string{"metadata", "product", "Version"}, "version,optional"}, {[]string{"cloud", "Provider"}, "provider"},
	{[]string{"cloud", "Region"}, "region,optional"}, {[]string{"cloud", "account", "UID"}, "uid,optional"},
	{[]string{"connection_info", "Direction"}, "direction,optional"}, {[]string{"connection_info", "ProtocolVer"}, "protocol_ver,optional"},
}

// BenchmarkEncodeOptions compares Parquet writer settings on generated Network Activity rows
// (CPU time and bytes per row): the evidence behind writerOptions.
func BenchmarkEncodeOptions(b *testing.B) {
	rows := make([]ocsf.NetworkActivity, 65536)
	for i := range rows {
		flow(&rows[i], i, "111111111111", "us-east-1", day0)
	}
	cfg := defaultConfig()
	base := cfg.writerOptions()
	with := func(o ...parquet.WriterOption) []parquet.WriterOption {
		return append(append([]parquet.WriterOption{}, base...), o...)
	}
	var dict []parquet.WriterOption
	for _, c := range lowCardinality {
		dict = append(dict, parquet.StructTag(reflect.StructTag(`parquet:"`+c.tag+`,dict"`), c.path...).(parquet.WriterOption))
	}
	cases := []struct {
		name string
		opts []parquet.WriterOption
	}{
		{"lake", base},
		{"snappy", with(parquet.Compression(&snappy.Codec{}))},
		{"zstd-default-level", with(parquet.Compression(&zstd.Codec{}))},
		{"page-v2", with(parquet.DataPageVersion(2))},
		{"delta-length-strings", with(parquet.DefaultEncodingFor(parquet.ByteArray, &parquet.DeltaLengthByteArray))},
		{"page-stats", with(parquet.DataPageStatistics(true))},
		{"page-64K", with(parquet.PageBufferSize(64 << 10))},
		{"page-256K", with(parquet.PageBufferSize(256 << 10))},
		{"dict-low-cardinality", with(dict...)},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			var size int64
			cpu0 := cpuTime()
			for b.Loop() {
				out := &countingWriter{}
				w := parquet.NewGenericWriter[ocsf.NetworkActivity](out, c.opts...)
				for k := 0; k < len(rows); k += 2048 {
					if _, err := w.Write(rows[k : k+2048]); err != nil {
						b.Fatal(err)
					}
				}
				if err := w.Close(); err != nil {
					b.Fatal(err)
				}
				size = out.n
			}
			n := float64(b.N * len(rows))
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/n, "ns/row")
			b.ReportMetric(float64((cpuTime()-cpu0).Nanoseconds())/n, "cpu-ns/row")
			b.ReportMetric(float64(size)/float64(len(rows)), "bytes/row")
		})
	}
	_ = io.Discard
}
