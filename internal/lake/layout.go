package lake

import (
	"crypto/sha256"
	"encoding/hex"
	"path"
	"strings"
	"time"
)

// Unknown is the partition value of an empty region or account, and the eventDay of a time
// outside the years 1 to 9999.
const Unknown = "unknown"

// Partition directory names, as Security Lake writes them.
const (
	regionKey  = "region="
	accountKey = "accountId="
	dayKey     = "eventDay="
)

// maxSegment is the longest escaped partition value kept whole; longer ones are cut and
// suffixed with a hash (see escapeValue).
const maxSegment = 96

// msPerDay is the number of milliseconds in a UTC day.
const msPerDay = 24 * 60 * 60 * 1000

// Partition is one partition directory of a table.
type Partition struct {
	// Region, Account and Day are the partition values as the directory names hold them,
	// unescaped: Region and Account are Unknown for events without one, Day is YYYYMMDD.
	Region, Account, Day string
	// Path is the partition directory: a local path, or an s3:// URL.
	Path string
	// rel is the partition directory relative to the lake root, slash-separated.
	rel string
}

// partKey identifies the partition of an event while writing: the raw region and account of
// the event and its UTC day number since the epoch.
type partKey struct {
	region, account string
	day             int64
}

// dayOf returns the UTC day number (days since 1970-01-01) of a time in epoch milliseconds.
func dayOf(ms int64) int64 {
	d := ms / msPerDay
	if ms%msPerDay < 0 {
		d--
	}
	return d
}

// dayString formats a day number as YYYYMMDD, or Unknown outside the years 1 to 9999.
func dayString(day int64) string {
	// Days of 0001-01-01 and 9999-12-31 since the epoch.
	const minDay, maxDay = -719162, 2932896
	if day < minDay || day > maxDay {
		return Unknown
	}
	return time.UnixMilli(day * msPerDay).UTC().Format("20060102")
}

// relDir returns the partition directory of k in table t, relative to the lake root and
// slash-separated.
func (k partKey) relDir(table, version string) string {
	return path.Join(table, version, regionKey+escapeValue(k.region), accountKey+escapeValue(k.account),
		dayKey+dayString(k.day))
}

// escapeValue turns a partition value into a safe path segment (see the package doc).
func escapeValue(v string) string {
	if v == "" {
		return Unknown
	}
	if v == "." || v == ".." {
		return strings.Repeat("%2E", len(v))
	}
	safe := true
	for i := range len(v) {
		if !safeByte(v[i]) {
			safe = false
			break
		}
	}
	s := v
	if !safe {
		const hexDigits = "0123456789ABCDEF"
		var b strings.Builder
		b.Grow(len(v) + 8)
		for i := range len(v) {
			c := v[i]
			if safeByte(c) {
				b.WriteByte(c)
				continue
			}
			b.WriteByte('%')
			b.WriteByte(hexDigits[c>>4])
			b.WriteByte(hexDigits[c&15])
		}
		s = b.String()
	}
	if len(s) > maxSegment {
		sum := sha256.Sum256([]byte(v))
		cut := maxSegment - 17
		// Do not cut an escape sequence in two.
		if i := strings.LastIndexByte(s[cut-2:cut], '%'); i >= 0 {
			cut = cut - 2 + i
		}
		s = s[:cut] + "~" + hex.EncodeToString(sum[:8])
	}
	return s
}

// safeByte reports whether c may appear unescaped in a partition value.
func safeByte(c byte) bool {
	return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.'
}

// unescapeValue reverses the %XX escapes of escapeValue; malformed escapes are kept as is.
func unescapeValue(s string) string {
	if !strings.Contains(s, "%") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) {
			if h, ok1 := unhex(s[i+1]); ok1 {
				if l, ok2 := unhex(s[i+2]); ok2 {
					b.WriteByte(h<<4 | l)
					i += 2
					continue
				}
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func unhex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	}
	return 0, false
}
