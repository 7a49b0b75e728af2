package demo

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var testDay = time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)

// readAll returns the header and records of every generated file.
func readAll(t *testing.T, files []string) (headers []string, records [][]string) {
	t.Helper()
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		zr, err := gzip.NewReader(fh)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		sc := bufio.NewScanner(zr)
		first := true
		for sc.Scan() {
			fields := strings.Fields(sc.Text())
			if first {
				headers = append(headers, sc.Text())
				first = false
				continue
			}
			records = append(records, fields)
		}
		if err := sc.Err(); err != nil {
			t.Fatal(err)
		}
		fh.Close()
	}
	return headers, records
}

func TestGenerateShapeAndCount(t *testing.T) {
	dir := t.TempDir()
	res, err := Generate(context.Background(), Config{Dir: dir, Records: 50000, Seed: 1, Day: testDay})
	if err != nil {
		t.Fatal(err)
	}
	if res.Records != 50000 || len(res.Files) != 4*24 {
		t.Fatalf("records %d, files %d", res.Records, len(res.Files))
	}
	headers, recs := readAll(t, res.Files)
	if len(recs) != 50000 {
		t.Fatalf("files hold %d records", len(recs))
	}
	formats := map[string]bool{}
	for _, h := range headers {
		formats[h] = true
	}
	if len(formats) != 3 {
		t.Fatalf("want the 3 record formats (default, v5, v8), got %d", len(formats))
	}
	for _, f := range res.Files {
		rel, _ := filepath.Rel(dir, f)
		parts := strings.Split(filepath.ToSlash(rel), "/")
		if parts[0] != "AWSLogs" || parts[2] != "vpcflowlogs" || !strings.HasSuffix(f, ".log.gz") ||
			!strings.HasPrefix(parts[len(parts)-1], parts[1]+"_vpcflowlogs_"+parts[3]+"_fl-") {
			t.Fatalf("not an AWS delivery path: %s", rel)
		}
	}
	nodata := 0
	for _, r := range recs {
		if len(r) < 14 {
			t.Fatalf("short record %v", r)
		}
		for _, st := range r {
			if st == "NODATA" || st == "SKIPDATA" {
				nodata++
			}
		}
	}
	if nodata == 0 {
		t.Fatal("no NODATA/SKIPDATA records generated")
	}
}

func TestGenerateIsDeterministic(t *testing.T) {
	gen := func(seed uint64) []byte {
		dir := t.TempDir()
		res, err := Generate(context.Background(), Config{Dir: dir, Records: 5000, Seed: seed, Day: testDay})
		if err != nil {
			t.Fatal(err)
		}
		var all bytes.Buffer
		for _, f := range res.Files {
			rel, _ := filepath.Rel(dir, f)
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			all.WriteString(rel)
			all.Write(b)
		}
		return all.Bytes()
	}
	a, b, c := gen(3), gen(3), gen(4)
	if !bytes.Equal(a, b) {
		t.Fatal("same seed and day gave different files")
	}
	if bytes.Equal(a, c) {
		t.Fatal("different seeds gave the same files")
	}
}

// TestBenignStaysOutOfScenarioAddresses checks benign traffic never touches the documentation
// ranges the scenarios and the intel list use, so benign-only data cannot match them.
func TestBenignStaysOutOfScenarioAddresses(t *testing.T) {
	dir := t.TempDir()
	res, err := Generate(context.Background(), Config{Dir: dir, Records: 30000, Seed: 9, Day: testDay, Benign: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Scenarios) != 0 || res.IntelFile != "" {
		t.Fatal("benign generation injected scenarios")
	}
	_, recs := readAll(t, res.Files)
	for _, r := range recs {
		for _, f := range r {
			if ip, err := netip.ParseAddr(f); err == nil && reservedForScenarios(ip) {
				t.Fatalf("benign record uses reserved address %s: %v", ip, r)
			}
		}
	}
}

// TestScenariosSurviveSmallBudgets keeps every scenario record even when the requested
// size is smaller than the scenarios.
func TestScenariosSurviveSmallBudgets(t *testing.T) {
	dir := t.TempDir()
	res, err := Generate(context.Background(), Config{Dir: dir, Records: 100, Seed: 1, Day: testDay})
	if err != nil {
		t.Fatal(err)
	}
	_, recs := readAll(t, res.Files)
	if len(recs) != res.Records || res.Records < 100 {
		t.Fatalf("reported %d records, files hold %d", res.Records, len(recs))
	}
	found := map[string]bool{}
	for _, r := range recs {
		for _, f := range r {
			switch f {
			case relayIP.String(), mcpSaaSIP.String(), exfilIntelIP.String(), relayV6.String():
				found[f] = true
			}
		}
	}
	if len(found) != 4 {
		t.Fatalf("scenario addresses present: %v", found)
	}
}

// TestGenerateAllSources writes every source and checks each file is what AWS delivers: DNS
// lines and GuardDuty findings as JSON lines, CloudTrail as {"Records":[...]}, in the S3 key
// layout of each service, telling the scenarios' story consistently across sources.
func TestGenerateAllSources(t *testing.T) {
	dir := t.TempDir()
	res, err := Generate(context.Background(), Config{Dir: dir, Records: 20000, Seed: 3, Day: testDay, Sources: AllSources})
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]int{}
	var dnsRelay, ctUserData, gdRelay bool
	for _, f := range res.Files {
		rel, _ := filepath.Rel(dir, f)
		parts := strings.Split(filepath.ToSlash(rel), "/")
		kinds[parts[2]]++
		fh, err := os.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		zr, err := gzip.NewReader(fh)
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(zr)
		fh.Close()
		if err != nil {
			t.Fatal(err)
		}
		switch parts[2] {
		case "vpcdnsquerylogs", "GuardDuty":
			for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
				if line == "" {
					continue
				}
				var m map[string]any
				if err := json.Unmarshal([]byte(line), &m); err != nil {
					t.Fatalf("%s: %v", rel, err)
				}
				if parts[2] == "vpcdnsquerylogs" && m["query_name"] == "relay.mcp-bridge.example." {
					dnsRelay = true
				}
				if parts[2] == "GuardDuty" && strings.Contains(line, relayIP.String()) {
					gdRelay = true
				}
			}
		case "CloudTrail":
			var ct struct {
				Records []map[string]any `json:"Records"`
			}
			if err := json.Unmarshal(data, &ct); err != nil || len(ct.Records) == 0 {
				t.Fatalf("%s: %d records, %v", rel, len(ct.Records), err)
			}
			for _, r := range ct.Records {
				if r["eventName"] == "RunInstances" {
					req, _ := r["requestParameters"].(map[string]any)
					ud, _ := base64.StdEncoding.DecodeString(fmt.Sprint(req["userData"]))
					ctUserData = ctUserData || strings.Contains(string(ud), "@modelcontextprotocol/server-filesystem")
				}
			}
		}
	}
	if kinds["vpcflowlogs"] != 96 || kinds["vpcdnsquerylogs"] != 96 || kinds["CloudTrail"] != 96 || kinds["GuardDuty"] != 4 {
		t.Fatalf("files per service %v", kinds)
	}
	if len(res.FlowFiles) != 96 {
		t.Fatalf("%d flow files", len(res.FlowFiles))
	}
	if !dnsRelay || !ctUserData || !gdRelay {
		t.Fatalf("scenarios across sources: DNS lookup of the relay %v, MCP user data %v, GuardDuty on the relay %v", dnsRelay, ctUserData, gdRelay)
	}
}
