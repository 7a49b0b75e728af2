package securitylake

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/parquet-go/parquet-go"

	"github.com/mcpwatch/mcpwatch/internal/source"
	"github.com/mcpwatch/mcpwatch/internal/source/sourcetest"
)

// FuzzRead reads any bytes as a Security Lake Parquet file: Read must not panic (decoder
// panics become errors), rows are accounted for once in order, and every event is one of
// mcpwatch's types and encodes as JSON.
func FuzzRead(f *testing.F) {
	root := filepath.Join(sourcetest.DataDir(f), "security-lake-samples", "samples")
	for _, p := range []string{
		"1.0.0-rc.2/ROUTE53/example0.json.gz.parquet",
		"1.0.0-rc.2/VPC_FLOW/example3.gz.parquet",
		"1.0.0-rc.2/SH_FINDINGS/example0.json.gz.parquet",
		"1.0.0-rc.2/CLOUD_TRAIL/authentication/ConsoleLogin.test.gz.parquet",
	} {
		b, err := os.ReadFile(filepath.Join(root, p))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add(legacyFile(f, 9, 4, 7))
	f.Fuzz(func(t *testing.T, data []byte) {
		s := &recordingSink{T: t}
		in := source.Input{Name: "fuzz.parquet", R: bytes.NewReader(data), ReaderAt: bytes.NewReader(data), Size: int64(len(data))}
		_ = Format{}.Read(context.Background(), in, s)
		var pos []int64
		pos = append(pos, s.Pos...)
		for _, d := range s.Dead {
			pos = append(pos, d.Pos)
			if d.Reason == "" {
				t.Fatal("dead letter without a reason")
			}
		}
		seen := map[int64]bool{}
		for _, p := range pos {
			if p < 1 || p > int64(len(pos)) || seen[p] {
				t.Fatalf("positions %v", pos)
			}
			seen[p] = true
		}
		for _, ev := range s.Events {
			if _, err := json.Marshal(ev); err != nil {
				t.Fatalf("event does not encode: %v", err)
			}
		}
	})
}

// FuzzAssemble assembles arbitrary value sequences against the schema of Security Lake's
// rc.2 SH_FINDINGS table (nested two-level lists of groups, a map): assemble must return a
// row or an error, never panic, and a row it returns must convert without panicking.
func FuzzAssemble(f *testing.F) {
	b, err := os.ReadFile(filepath.Join(sourcetest.DataDir(f), "security-lake-samples", "samples", "1.0.0-rc.2", "SH_FINDINGS", "example0.json.gz.parquet"))
	if err != nil {
		f.Fatal(err)
	}
	pf, err := parquet.OpenFile(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		f.Fatal(err)
	}
	s, err := buildSchema(pf.Metadata().Schema)
	if err != nil {
		f.Fatal(err)
	}
	rows := make([]parquet.Row, 1)
	if n, _ := pf.RowGroups()[0].Rows().ReadRows(rows); n != 1 {
		f.Fatal("no row")
	}
	// The real row, encoded as the fuzz input: 4 bytes per value (column, repetition and
	// definition levels, and a byte picking the value).
	var seed []byte
	for _, v := range rows[0] {
		seed = append(seed, byte(v.Column()), byte(v.RepetitionLevel()), byte(v.DefinitionLevel()), 1)
	}
	f.Add(seed)
	f.Add([]byte{0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		var row parquet.Row
		for i := 0; i+3 < len(data); i += 4 {
			col, rep, def := int(data[i])%(len(s.columns)+1), int(data[i+1]%8), int(data[i+2]%8)
			var v parquet.Value
			if col < len(s.columns) {
				leaf := s.columns[col].path[len(s.columns[col].path)-1]
				v = fuzzValue(leaf, data[i+3])
			}
			if def < 8 && data[i+3] == 0 {
				v = parquet.Value{}
			}
			row = append(row, v.Level(rep, def, col))
		}
		a := newAssembler(s)
		m, err := a.assemble(row)
		if err != nil {
			return
		}
		c := converter{b: &binder{}}
		if ev, err := c.convert(m); err == nil {
			if _, err := json.Marshal(ev); err != nil {
				t.Fatal(err)
			}
		}
	})
}

// fuzzValue is a value of the leaf's type picked by b.
func fuzzValue(leaf *node, b byte) parquet.Value {
	switch leaf.typ {
	case leafBool:
		return parquet.BooleanValue(b%2 == 1)
	case leafInt:
		return parquet.Int64Value(int64(b) - 128)
	case leafFloat:
		return parquet.FloatValue(float32(b) / 3)
	case leafTime:
		return parquet.Int64Value(int64(b) << 40)
	case leafInt96:
		return parquet.Int64Value(int64(b))
	}
	return parquet.ByteArrayValue([]byte{'v', b})
}

// FuzzConvert converts arbitrary JSON objects as rows (numbers as the assembler gives them):
// convert must not panic, and its events must encode.
func FuzzConvert(f *testing.F) {
	for _, s := range []string{
		`{"class_uid":2001,"metadata":{"version":"1.0.0-rc.2","product":{"uid":"arn:aws:securityhub:us-east-1::product/aws/inspector","version":"2018-10-08"}},"finding":{"uid":"u","title":"t","remediation":{"desc":"d","kb_articles":["k"]}},"vulnerabilities":[{"cve":{"uid":"CVE-1","cvss":{"base_score":1.5,"version":"3"}},"kb_articles":["x"],"packages":[{"name":"n","version":"1","epoch":2}]}],"resources":[{"uid":"r","details":"{}"},{"uid":"r2"}],"time":1}`,
		`{"class_uid":3002,"metadata":{"version":"1.0.0-rc.2"},"actor":{"user":{"uid":"a","uuid":"arn","account_uid":"1"},"session":{"mfa":true}},"mfa":false,"api":{"service":{"name":"sts.amazonaws.com"}},"src_endpoint":{"domain":"x.amazonaws.com"},"time":5,"activity_id":1}`,
		`{"class_uid":4003,"metadata":{"version":"1.0.0-rc.2"},"activity_id":5,"activity_name":"Refuse","disposition_id":2,"src_endpoint":{"ip":"-"},"answers":[{"rdata":"1.2.3.4"},null],"unmapped":{"a":"b"}}`,
		`{"class_uid":4001,"metadata":{"version":"1.1.0"},"time_dt":"x","start_time":99,"connection_info":{"tcp_flags":1e10},"unmapped":{"k":1}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		d := json.NewDecoder(bytes.NewReader(data))
		d.UseNumber()
		var v any
		if d.Decode(&v) != nil {
			return
		}
		m, ok := asRow(v).(map[string]any)
		if !ok {
			return
		}
		c := converter{b: &binder{}, loc: Location{Source: "SH_FINDINGS", Version: "1.0", Region: "r", Account: "a"}}
		if ev, err := c.convert(m); err == nil {
			if _, err := json.Marshal(ev); err != nil {
				t.Fatal(err)
			}
		}
	})
}

// asRow turns decoded JSON into the assembler's value types (json.Number to int64 or
// float64).
func asRow(v any) any {
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			v[k] = asRow(e)
		}
	case []any:
		for i, e := range v {
			v[i] = asRow(e)
		}
	case json.Number:
		if n, err := v.Int64(); err == nil {
			return n
		}
		f, _ := v.Float64()
		return f
	}
	return v
}
