package vpcflow

import (
	"bytes"
	"context"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"

	"github.com/mcpwatch/mcpwatch/internal/source"
	"github.com/mcpwatch/mcpwatch/internal/source/sourcetest"
)

// pcol is a column of a test Parquet file.
type pcol struct {
	name string
	node parquet.Node
}

// writeParquet writes rows (values in cols order, nil for null) to a Parquet file with row
// groups of at most groupRows rows.
func writeParquet(t *testing.T, cols []pcol, rows [][]any, groupRows int64) []byte {
	t.Helper()
	group := parquet.Group{}
	for _, c := range cols {
		group[c.name] = parquet.Optional(c.node)
	}
	schema := parquet.NewSchema("flow", group)
	index := map[string]int{}
	for i, path := range schema.Columns() {
		index[strings.Join(path, ".")] = i
	}
	var buf bytes.Buffer
	w := parquet.NewWriter(&buf, schema, parquet.MaxRowsPerRowGroup(groupRows))
	for _, vals := range rows {
		row := make(parquet.Row, len(cols))
		for i, c := range cols {
			ci := index[c.name]
			if vals[i] == nil {
				row[ci] = parquet.NullValue().Level(0, 0, ci)
			} else {
				row[ci] = parquet.ValueOf(vals[i]).Level(0, 1, ci)
			}
		}
		if _, err := w.WriteRows([]parquet.Row{row}); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func readParquetBytes(t *testing.T, b []byte) (*recordingSink, error) {
	t.Helper()
	s := &recordingSink{t: t}
	in := source.Input{Name: "test.parquet", R: bytes.NewReader(b), ReaderAt: bytes.NewReader(b), Size: int64(len(b)), Region: "eu-west-1"}
	return s, Format{}.Read(context.Background(), in, s)
}

func TestReadParquetTypes(t *testing.T) {
	cols := []pcol{
		{"version", parquet.Int(32)},
		{"account_id", parquet.Int(64)}, // a number: leading zeros restored
		{"srcaddr", parquet.String()},
		{"dstaddr", parquet.String()},
		{"srcport", parquet.Leaf(parquet.DoubleType)},
		{"dstport", parquet.Int(64)},
		{"protocol", parquet.String()},
		{"packets", parquet.Int(32)},
		{"bytes", parquet.Leaf(parquet.DoubleType)},
		{"start", parquet.Timestamp(parquet.Millisecond)},
		{"end", parquet.Int(64)},
		{"action", parquet.String()},
		{"log_status", parquet.String()},
		{"tcp_flags", parquet.Leaf(parquet.DoubleType)},
		{"traffic_path", parquet.Int(64)},
		{"flow_direction", parquet.String()},
		{"sublocation_id", parquet.String()},
		{"ecs_task_id", parquet.String()},
	}
	ok := func(over map[int]any) []any {
		row := []any{int32(5), int64(12345678901), "10.0.1.5", "52.94.133.131", float64(49761), int64(443), "6",
			int32(12), float64(3456), int64(1714560000123), int64(1714560060), "ACCEPT", "OK", float64(19), int64(8),
			"egress", nil, "abcdef0123456789"}
		for i, v := range over {
			row[i] = v
		}
		return row
	}
	rows := [][]any{
		ok(nil),
		ok(map[int]any{4: nil, 5: nil, 6: "-", 13: nil, 14: nil, 15: "-", 11: "-", 8: nil}), // NODATA-like nulls
		ok(map[int]any{4: 1.5}),
		ok(map[int]any{5: int64(70000)}),
		ok(map[int]any{2: "not-an-ip"}),
		ok(map[int]any{6: "tcp"}),
		ok(map[int]any{9: nil, 10: nil}),
		ok(map[int]any{15: "ingress", 3: "2a05:d018:1:2::3", 14: int64(3)}),
		ok(map[int]any{17: "task\n1"}),
	}
	b := writeParquet(t, cols, rows, 3)
	if !(Format{}).Sniff(b[:min(len(b), 64<<10)]) {
		t.Error("Sniff does not recognize the file")
	}
	s, err := readParquetBytes(t, b)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.events)+len(s.dead) != len(rows) {
		t.Fatalf("%d events + %d dead letters, want %d rows", len(s.events), len(s.dead), len(rows))
	}
	wantDead := map[int64]string{
		3: `srcport: not an integer in range 0..65535: "1.5"`,
		4: `dstport: out of range 0..65535: "70000"`,
		5: `srcaddr: not an IP address: "not-an-ip"`,
		6: `protocol: not a non-negative integer: "tcp"`,
		7: "record has neither start nor end time",
		9: `ecs-task-id: control character 0xa at byte 5: "task\n1"`,
	}
	if len(s.dead) != len(wantDead) {
		t.Errorf("dead letters %v", s.dead)
	}
	for _, d := range s.dead {
		if want := wantDead[d.pos]; !strings.HasPrefix(d.reason, want) || want == "" {
			t.Errorf("row %d dead-lettered for %q, want %q", d.pos, d.reason, want)
		}
		if d.raw == "" {
			t.Errorf("row %d: empty raw", d.pos)
		}
	}
	if want := []int64{1, 2, 8}; len(s.pos) != 3 || s.pos[0] != want[0] || s.pos[1] != want[1] || s.pos[2] != want[2] {
		t.Errorf("events at rows %v, want %v", s.pos, want)
	}
	if len(s.events) < 3 {
		t.FailNow()
	}
	ev := &s.events[0]
	if ev.Cloud.Account.UID != "012345678901" || ev.Metadata.Product.Version != "5" || *ev.SrcEndpoint.Port != 49761 ||
		*ev.DstEndpoint.Port != 443 || ev.ConnectionInfo.ProtocolNum != 6 || ev.Traffic.Packets != 12 || ev.Traffic.Bytes != 3456 ||
		ev.Time != 1714560000000 || ev.EndTime != 1714560060000 || *ev.ConnectionInfo.TCPFlags != 19 ||
		ev.ConnectionInfo.BoundaryID != 11 || ev.ConnectionInfo.DirectionID != 2 || ev.Cloud.Region != "eu-west-1" ||
		ev.Unmapped["sublocation_id"] != "" || ev.Unmapped["ecs_task_id"] != "abcdef0123456789" || ev.ActivityID != 6 {
		t.Errorf("event 1: %+v", *ev)
	}
	ev = &s.events[1]
	if ev.SrcEndpoint.Port != nil || ev.DstEndpoint.Port != nil || ev.ConnectionInfo.ProtocolNum != 0 ||
		ev.ConnectionInfo.TCPFlags != nil || ev.ConnectionInfo.BoundaryID != 99 || ev.ConnectionInfo.Boundary != "-" ||
		ev.ConnectionInfo.DirectionID != 99 || ev.Traffic.Bytes != 0 || ev.DispositionID != 99 || ev.ActivityID != 0 {
		t.Errorf("event 2: %+v", *ev)
	}
	ev = &s.events[2]
	if ev.DstEndpoint.IP != "2a05:d018:1:2::3" || ev.DstEndpoint.InterfaceUID != "" || ev.ConnectionInfo.BoundaryID != 6 ||
		ev.ConnectionInfo.DirectionID != 1 {
		t.Errorf("event 3: %+v", *ev)
	}
	for i := range s.events {
		validate(t, &s.events[i])
	}
}

func TestReadParquetUnknownColumn(t *testing.T) {
	cols := []pcol{{"version", parquet.Int(32)}, {"start", parquet.Int(64)}, {"encryption_status", parquet.Int(32)}}
	b := writeParquet(t, cols, [][]any{{int32(10), int64(1714560000), int32(1)}, {int32(10), int64(1714560001), int32(0)}}, 100)
	s, err := readParquetBytes(t, b)
	var ue *UnknownFieldError
	if !errors.As(err, &ue) || ue.Name != "encryption_status" {
		t.Fatalf("error %v, want an unknown field encryption_status", err)
	}
	if len(s.events) != 0 || len(s.dead) != 2 || !strings.Contains(s.dead[0].reason, `unknown flow log field "encryption_status"`) {
		t.Errorf("events %d, dead letters %v", len(s.events), s.dead)
	}
}

func TestReadParquetNested(t *testing.T) {
	group := parquet.Group{"version": parquet.Int(32), "src": parquet.Group{"addr": parquet.String()}}
	var buf bytes.Buffer
	w := parquet.NewWriter(&buf, parquet.NewSchema("x", group))
	if _, err := w.WriteRows([]parquet.Row{{parquet.ValueOf("1.1.1.1").Level(0, 0, 0), parquet.ValueOf(int32(2)).Level(0, 0, 1)}}); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	s, err := readParquetBytes(t, buf.Bytes())
	var ue *UnknownFieldError
	if !errors.As(err, &ue) || ue.Name != "src.addr" || len(s.dead) != 1 {
		t.Fatalf("error %v, dead letters %v", err, s.dead)
	}
}

func TestReadParquetNeedsReaderAt(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(sourcetest.DataDir(t), "security-lake-samples", "samples", "1.0.0-rc.2", "VPC_FLOW", "inputs", "vpc_flow-input3.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	s := &recordingSink{t: t}
	err = Format{}.Read(context.Background(), source.Input{Name: "stdin", R: bytes.NewReader(b)}, s)
	if err == nil || !strings.Contains(err.Error(), "Input.ReaderAt") || s.calls != 0 {
		t.Errorf("error %v after %d calls, want one asking for random access", err, s.calls)
	}
}

func TestReadParquetCorrupt(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(sourcetest.DataDir(t), "security-lake-samples", "samples", "1.0.0-rc.2", "VPC_FLOW", "inputs", "vpc_flow-input0.json.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	for _, cut := range []int{8, len(b) / 2, len(b) - 9} {
		c := append([]byte(nil), b[:cut]...)
		c = append(c, "PAR1"...) // keep the trailing magic so the footer is parsed
		if _, err := readParquetBytes(t, c); err == nil {
			t.Errorf("cut at %d: no error", cut)
		}
	}
	// A footer length beyond the file is refused before anything is allocated for it.
	huge := []byte("PAR1" + strings.Repeat("x", 100) + "\xff\xff\xff\xf0" + "PAR1")
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err = readParquetBytes(t, huge)
	runtime.ReadMemStats(&after)
	if err == nil || !strings.Contains(err.Error(), "a footer of 4043309055 bytes in a file of 112") {
		t.Errorf("error %v, want a corrupt footer length", err)
	}
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 1<<20 {
		t.Errorf("allocated %d bytes for a file of %d", grew, len(huge))
	}
	// Flip bytes in the column data: an error or dead letters, never a panic.
	for i := 4; i < len(b)-8; i += 997 {
		c := append([]byte(nil), b...)
		c[i] ^= 0xff
		readParquetBytes(t, c) //nolint:errcheck // any outcome but a panic is fine
	}
}

func TestSniffSamples(t *testing.T) {
	dir := filepath.Join(sourcetest.DataDir(t), "security-lake-samples", "samples", "1.0.0-rc.2", "VPC_FLOW")
	for name, want := range map[string]bool{
		"inputs/vpc_flow-input0.json.parquet": true,
		"inputs/vpc_flow-input3.parquet":      true,
		"example0.gz.parquet":                 false, // Security Lake's OCSF output, not flow logs
	} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if got := (Format{}).Sniff(b[:min(len(b), 64<<10)]); got != want {
			t.Errorf("Sniff(%s) = %v, want %v", name, got, want)
		}
	}
}

// TestEventsStayValid keeps shallow copies of more events than a slab holds, as a lake
// writer does, and checks each against a fresh normalization of its record: reusing the
// event struct must never alter what an earlier event references.
func TestEventsStayValid(t *testing.T) {
	all := KnownFields()
	var b strings.Builder
	b.WriteString(header(all...) + "\n")
	const n = 3*defaultSlabLen + 7
	for i := range n {
		dir := "egress"
		if i%2 == 0 {
			dir = "ingress"
		}
		b.WriteString(line(all, FieldSrcPort, strconv.Itoa(i%65536), FieldPktSrcAddr, "192.0.2."+strconv.Itoa(i%256), FieldTCPFlags, strconv.Itoa(i%64),
			FieldFlowDirection, dir, FieldSublocationID, "sub-"+strconv.Itoa(i/500), FieldInstanceID, "i-"+strconv.Itoa(i)) + "\n")
	}
	s, err := read(t, Format{}, b.String())
	if err != nil {
		t.Fatal(err)
	}
	if len(s.events) != n {
		t.Fatalf("%d events, want %d; dead letters %v", len(s.events), n, s.dead[:min(3, len(s.dead))])
	}
	layout, err := ParseHeader(header(all...))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(b.String(), "\n")[1:]
	for i := range s.events {
		var r Record
		if err := layout.Parse(lines[i], &r); err != nil {
			t.Fatal(err)
		}
		want, err := Normalize(&r)
		if err != nil {
			t.Fatal(err)
		}
		want.Cloud = s.events[i].Cloud // the reader's defaults are not Normalize's
		if !reflect.DeepEqual(&s.events[i], want) {
			t.Fatalf("event %d changed after later records:\n got %v\nwant %v", i, sourcetest.FlattenEvent(t, &s.events[i]), sourcetest.FlattenEvent(t, want))
		}
	}
}

// TestReuseMatchesFresh reads a long, varied input (layouts switching mid-stream, every kind
// of action, direction, NODATA, "-" anywhere, dead letters in between) and checks every
// event against a fresh normalization of its line: the reader rewrites only the varying
// parts of its event, and nothing of a previous record may survive into the next.
func TestReuseMatchesFresh(t *testing.T) {
	all := KnownFields()
	layouts := [][]Field{all, DefaultFields(),
		{FieldInstanceID, FieldVersion, FieldSrcAddr, FieldDstAddr, FieldPktSrcAddr, FieldPktDstAddr, FieldStart, FieldAction},
		{FieldRejectReason, FieldStart, FieldEnd, FieldFlowDirection, FieldInterfaceID, FieldSublocationID}}
	rng := rand.New(rand.NewPCG(7, 7))
	var b strings.Builder
	type want struct {
		pos    int64
		layout Layout
		line   string
	}
	var wants []want
	var cur Layout
	lineNo := int64(0)
	for range 5000 {
		fs := layouts[rng.IntN(len(layouts))]
		l := mustNewLayout(t, fs)
		if l.String() != cur.String() {
			b.WriteString(l.String() + "\n")
			lineNo++
			cur = l
		}
		set := []any{}
		for range rng.IntN(4) {
			set = append(set, fs[rng.IntN(len(fs))], "-")
		}
		switch rng.IntN(8) {
		case 0:
			set = append(set, FieldFlowDirection, "ingress", FieldPktSrcAddr, "198.51.100."+strconv.Itoa(rng.IntN(256)))
		case 1:
			set = append(set, FieldAction, "REJECT", FieldTrafficPath, strconv.Itoa(rng.IntN(10)), FieldRejectReason, "BPA")
		case 2:
			set = append(set, FieldLogStatus, "NODATA", FieldSrcAddr, "-", FieldDstAddr, "-", FieldPktSrcAddr, "-", FieldPktDstAddr, "-")
		case 3:
			set = append(set, FieldSrcAddr, "not-an-ip") // a dead letter between events
		case 4:
			set = append(set, FieldSublocationType, "outpost", FieldSublocationID, "op-"+strconv.Itoa(rng.IntN(3)))
		}
		ln := line(fs, set...)
		b.WriteString(ln + "\n")
		lineNo++
		wants = append(wants, want{lineNo, l, ln})
	}
	s := &recordingSink{t: t}
	if err := (Format{}).Read(t.Context(), sourceInput(b.String()), s); err != nil {
		t.Fatal(err)
	}
	if len(s.events)+len(s.dead) != len(wants) || len(s.dead) == 0 || len(s.events) == 0 {
		t.Fatalf("%d events + %d dead letters, want %d records of both kinds", len(s.events), len(s.dead), len(wants))
	}
	ei := 0
	for _, w := range wants {
		var r Record
		if err := w.layout.Parse(w.line, &r); err != nil {
			continue
		}
		fresh, err := Normalize(&r)
		if err != nil {
			continue
		}
		if ei >= len(s.events) || s.pos[ei] != w.pos {
			t.Fatalf("no event for line %d", w.pos)
		}
		if !reflect.DeepEqual(&s.events[ei], fresh) {
			t.Fatalf("line %d %q:\n got %v\nwant %v", w.pos, w.line, sourcetest.FlattenEvent(t, &s.events[ei]), sourcetest.FlattenEvent(t, fresh))
		}
		ei++
	}
	if ei != len(s.events) {
		t.Errorf("%d events, %d expected", len(s.events), ei)
	}
}

func mustNewLayout(t *testing.T, fs []Field) Layout {
	t.Helper()
	l, err := NewLayout(fs...)
	if err != nil {
		t.Fatal(err)
	}
	return l
}
