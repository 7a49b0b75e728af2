package lake

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mcpwatch/mcpwatch/internal/ocsf"
)

func TestEscapeValue(t *testing.T) {
	long := strings.Repeat("a", 200)
	tests := []struct {
		in, want string
	}{
		{"", Unknown},
		{"us-east-1", "us-east-1"},
		{"123456789012", "123456789012"},
		{"a_b.c", "a_b.c"},
		{".", "%2E"},
		{"..", "%2E%2E"},
		{"...", "..."},
		{"../../etc", "..%2F..%2Fetc"},
		{"/abs", "%2Fabs"},
		{`a\b`, "a%5Cb"},
		{"a=b", "a%3Db"},
		{"50%", "50%25"},
		{"x\x00y", "x%00y"},
		{"é", "%C3%A9"},
		{"a b", "a%20b"},
		{long, strings.Repeat("a", 79) + "~f0bc2e3a2ff9e2d1"},
	}
	for _, tt := range tests {
		got := escapeValue(tt.in)
		if tt.in == long {
			// The hash suffix is checked by shape; the exact digits by the round trip below.
			if !strings.HasPrefix(got, strings.Repeat("a", 79)+"~") || len(got) != maxSegment {
				t.Errorf("escapeValue(long) = %q", got)
			}
			continue
		}
		if got != tt.want {
			t.Errorf("escapeValue(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if tt.in != "" && unescapeValue(got) != tt.in {
			t.Errorf("unescapeValue(%q) = %q, want %q", got, unescapeValue(got), tt.in)
		}
	}
	if escapeValue(long) == escapeValue(long+"b") {
		t.Error("two long values share a partition")
	}
	// A cut never splits an escape sequence.
	v := strings.Repeat("a", 78) + strings.Repeat("/", 20)
	if got := escapeValue(v); strings.Contains(got[len(got)-20:len(got)-16], "%") && !strings.HasSuffix(strings.SplitN(got, "~", 2)[0], "%2F") {
		t.Errorf("escapeValue cut an escape: %q", got)
	}
}

func TestDayString(t *testing.T) {
	tests := []struct {
		ms   int64
		want string
	}{
		{0, "19700101"},
		{-1, "19691231"},
		{day0.UnixMilli(), "20240501"},
		{day0.UnixMilli() + msPerDay - 1, "20240501"},
		{day0.UnixMilli() + msPerDay, "20240502"},
		{time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli(), "00010101"},
		{time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC).UnixMilli(), "99991231"},
		{time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli(), Unknown},
		{-1 << 62, Unknown},
		{1 << 62, Unknown},
	}
	for _, tt := range tests {
		if got := dayString(dayOf(tt.ms)); got != tt.want {
			t.Errorf("day of %d = %s, want %s", tt.ms, got, tt.want)
		}
	}
}

func TestLayoutPaths(t *testing.T) {
	at := time.Date(2024, 5, 1, 23, 59, 59, 999e6, time.UTC)
	l := openLake(t, WithClock(func() time.Time { return time.Date(2024, 6, 2, 10, 0, 0, 0, time.UTC) }))
	tx := begin(t, l, "s3://bucket/AWSLogs/123456789012/vpcflowlogs/us-east-1/x.log.gz")
	var e ocsf.NetworkActivity
	flow(&e, 1, "123456789012", "us-east-1", at)
	if err := tx.Write(&e); err != nil {
		t.Fatal(err)
	}
	flow(&e, 2, "", "", at.Add(time.Millisecond)) // next day, no region or account
	if err := tx.Write(&e); err != nil {
		t.Fatal(err)
	}
	if err := tx.Write(findingEvent(1, "123456789012", "eu-west-1", at)); err != nil {
		t.Fatal(err)
	}
	if err := tx.DeadLetter(VPCFlow, []byte("bad line"), 3, "too few fields"); err != nil {
		t.Fatal(err)
	}
	h := hashOf("layout")
	res := commit(t, tx, h)
	want := []string{
		"FINDINGS/2.0/region=eu-west-1/accountId=123456789012/eventDay=20240501/" + h[:16] + "-0.parquet",
		"VPC_FLOW/2.0/region=unknown/accountId=unknown/eventDay=20240502/" + h[:16] + "-0.parquet",
		"VPC_FLOW/2.0/region=us-east-1/accountId=123456789012/eventDay=20240501/" + h[:16] + "-0.parquet",
		"_deadletter/VPC_FLOW/eventDay=20240602/" + h[:16] + ".ndjson",
	}
	if got := visibleFiles(t, l); !equalStrings(got, want) {
		t.Errorf("files:\n got %q\nwant %q", got, want)
	}
	if got, want := res.Entry.Files, []string{want[0], want[1], want[2]}; !equalStrings(got, want) {
		t.Errorf("entry files = %q, want %q", got, want)
	}
	if len(res.Files) != 3 || res.Files[0] != filepath.Join(l.Root(), filepath.FromSlash(want[0])) {
		t.Errorf("result files = %q", res.Files)
	}
	if len(res.DeadLetters) != 1 || res.DeadLetters[0] != filepath.Join(l.Root(), filepath.FromSlash(want[3])) {
		t.Errorf("result dead letters = %q", res.DeadLetters)
	}
	// A commit that is not an input is named by its run id.
	tx = begin(t, l, "detect")
	if err := tx.Write(findingEvent(2, "123456789012", "eu-west-1", at)); err != nil {
		t.Fatal(err)
	}
	res = commit(t, tx, "")
	if len(res.Entry.Files) != 1 || res.Entry.Run == "" || res.Entry.Hash != "" ||
		!strings.HasSuffix(res.Entry.Files[0], "/"+res.Entry.Run+"-0.parquet") {
		t.Errorf("run commit entry = %+v", res.Entry)
	}
}

func TestUnsafePartitionValuesStayInside(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "lake")
	l, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	bad := []string{"../../../escape", "..", ".", "/etc/passwd", `..\..\win`, "a/../../b", "x\x00y",
		strings.Repeat("../", 100), "region=x/accountId=y", "%2E%2E", "ünï/cødé"}
	tx := begin(t, l, "evil")
	var e ocsf.NetworkActivity
	for i, v := range bad {
		flow(&e, i, v, v, day0)
		if err := tx.Write(&e); err != nil {
			t.Fatal(err)
		}
	}
	commit(t, tx, hashOf("evil"))
	for _, f := range treeFiles(t, root) {
		if !strings.HasPrefix(f, "lake/") {
			t.Errorf("file %s escaped the lake", f)
		}
		if strings.HasPrefix(f, "lake/VPC_FLOW/") && strings.Count(f, "/") != 6 {
			t.Errorf("file %s is not at partition depth", f)
		}
	}
	parts, err := l.Partitions(VPCFlow)
	if err != nil {
		t.Fatal(err)
	}
	if len(parts) != len(bad) {
		t.Fatalf("%d partitions for %d distinct values", len(parts), len(bad))
	}
	seen := map[string]bool{}
	for _, p := range parts {
		seen[p.Account] = true
		if p.Region != p.Account {
			t.Errorf("partition %+v: region and account differ", p)
		}
	}
	for _, v := range bad {
		if !strings.Contains(escapeValue(v), "~") && !seen[v] {
			t.Errorf("value %q is not read back from its partition", v)
		}
	}
	// Every row is found again, under the partition of its own values.
	n := 0
	err = Scan(context.Background(), l, VPCFlow, nil, func(p Partition, rows []ocsf.NetworkActivity) error {
		for _, r := range rows {
			if accountKey+escapeValue(r.Cloud.Account.UID) != filepath.Base(filepath.Dir(p.Path)) {
				t.Errorf("row of %q in partition %q", r.Cloud.Account.UID, p.Account)
			}
		}
		n += len(rows)
		return nil
	})
	if err != nil || n != len(bad) {
		t.Errorf("scan: %d rows, %v", n, err)
	}
}

func FuzzEscapeValue(f *testing.F) {
	for _, s := range []string{"", ".", "..", "../x", "us-east-1", "%41", strings.Repeat("é", 60)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		s := escapeValue(v)
		if s == "" || s == "." || s == ".." || len(s) > maxSegment {
			t.Fatalf("escapeValue(%q) = %q", v, s)
		}
		for i := range len(s) {
			if c := s[i]; !safeByte(c) && c != '%' && c != '~' {
				t.Fatalf("escapeValue(%q) = %q has byte %q", v, s, c)
			}
		}
		if v != "" && len(s) < maxSegment && !strings.Contains(s, "~") && unescapeValue(s) != v {
			t.Fatalf("unescapeValue(escapeValue(%q)) = %q", v, unescapeValue(s))
		}
		_ = unescapeValue(v) // never panics on arbitrary input
	})
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
