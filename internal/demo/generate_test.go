package demo

import (
	"bufio"
	"compress/gzip"
	"context"
	"os"
	"strings"
	"testing"
	"time"
)

func TestGenerateQuick(t *testing.T) {
	dir := t.TempDir()
	res, err := Generate(context.Background(), Config{Dir: dir, Records: 100000, Seed: 1, Day: time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, f := range res.Files {
		fh, _ := os.Open(f)
		zr, err := gzip.NewReader(fh)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(zr)
		first := true
		for sc.Scan() {
			if first {
				first = false
				continue
			}
			n++
			if n < 5 || strings.Contains(sc.Text(), "203.0.113.45") && n%50 == 0 {
				t.Log(f[len(dir):], sc.Text())
			}
		}
		fh.Close()
	}
	if n != 100000 {
		t.Fatalf("records %d", n)
	}
}
