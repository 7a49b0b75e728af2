package query

import (
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	duckdb "github.com/duckdb/duckdb-go/v2"
)

// Column is one column of a Result.
type Column struct {
	// Name is the column's name.
	Name string `json:"name"`
	// Type is DuckDB's name of the column's type, such as VARCHAR, BIGINT,
	// TIMESTAMPTZ or STRUCT("uid" VARCHAR, "name" VARCHAR).
	Type string `json:"type"`
}

// Result is the outcome of a query, with values as plain Go values: nil, bool, int64,
// float64, string, time.Time (in UTC), []any for lists and arrays, and map[string]any for
// structs, maps and JSON objects.
//
// Some DuckDB types have no such value and are converted to their text: DATE-less TIME
// ("15:04:05.999999"), INTERVAL ("1 day 02:00:00"), UUID, BLOB (printable ASCII kept, other
// bytes as \xHH), DECIMAL becomes a float64, and an integer out of int64's range (UBIGINT,
// HUGEINT) its decimal text.
type Result struct {
	// Columns describes the columns, in order.
	Columns []Column `json:"columns"`
	// Rows holds one slice per row, with one value per column.
	Rows [][]any `json:"rows"`
	// Truncated reports that the query returned more rows than the row limit, and Rows holds
	// only the first ones.
	Truncated bool `json:"truncated,omitempty"`
}

// ColumnNames returns the names of the columns, in order.
func (r *Result) ColumnNames() []string {
	names := make([]string, len(r.Columns))
	for i, c := range r.Columns {
		names[i] = c.Name
	}
	return names
}

// convertColumn converts a value of a column whose DuckDB type is typ.
func convertColumn(v any, typ string) any {
	switch typ {
	case "UUID":
		if b, ok := v.([]byte); ok && len(b) == 16 {
			var u duckdb.UUID
			copy(u[:], b)
			return u.String()
		}
	case "TIME":
		if t, ok := v.(time.Time); ok {
			return t.Format("15:04:05.999999999")
		}
	case "TIMETZ":
		if t, ok := v.(time.Time); ok {
			return t.Format("15:04:05.999999999Z07:00")
		}
	}
	return plain(v)
}

// plain converts a value from the DuckDB driver into a plain Go value (see Result).
func plain(v any) any {
	switch x := v.(type) {
	case nil, bool, string, int64, float64:
		return x
	case int:
		return int64(x)
	case int8:
		return int64(x)
	case int16:
		return int64(x)
	case int32:
		return int64(x)
	case uint8:
		return int64(x)
	case uint16:
		return int64(x)
	case uint32:
		return int64(x)
	case uint:
		return unsigned(uint64(x))
	case uint64:
		return unsigned(x)
	case float32:
		// Through its shortest text, so that 0.1 stays 0.1 rather than 0.10000000149011612.
		f, _ := strconv.ParseFloat(strconv.FormatFloat(float64(x), 'g', -1, 32), 64)
		return f
	case *big.Int:
		if x == nil {
			return nil
		}
		if x.IsInt64() {
			return x.Int64()
		}
		return x.String()
	case duckdb.Decimal:
		if x.Value == nil {
			return nil
		}
		return x.Float64()
	case duckdb.Interval:
		return formatInterval(x)
	case duckdb.UUID:
		return x.String()
	case *duckdb.UUID:
		if x == nil {
			return nil
		}
		return x.String()
	case []byte:
		return formatBlob(x)
	case time.Time:
		return x.UTC()
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = plain(e)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = plain(e)
		}
		return out
	case duckdb.OrderedMap:
		keys, vals := x.Keys(), x.Values()
		out := make(map[string]any, len(keys))
		for i, k := range keys {
			out[mapKey(k)] = plain(vals[i])
		}
		return out
	case duckdb.Map:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[mapKey(k)] = plain(e)
		}
		return out
	case duckdb.Union:
		return plain(x.Value)
	case fmt.Stringer:
		return x.String()
	default:
		return fmt.Sprint(x)
	}
}

func unsigned(u uint64) any {
	if u <= math.MaxInt64 {
		return int64(u)
	}
	return strconv.FormatUint(u, 10)
}

// mapKey is the text of a MAP key.
func mapKey(k any) string {
	switch x := plain(k).(type) {
	case string:
		return x
	case time.Time:
		return x.Format(time.RFC3339Nano)
	case nil:
		return "NULL"
	default:
		return fmt.Sprint(x)
	}
}

// formatInterval writes an interval as DuckDB prints it: "1 year 2 months 3 days 04:05:06".
func formatInterval(iv duckdb.Interval) string {
	var parts []string
	unit := func(n int64, name string) {
		if n == 0 {
			return
		}
		if n == 1 || n == -1 {
			parts = append(parts, fmt.Sprintf("%d %s", n, name))
		} else {
			parts = append(parts, fmt.Sprintf("%d %ss", n, name))
		}
	}
	unit(int64(iv.Months/12), "year")
	unit(int64(iv.Months%12), "month")
	unit(int64(iv.Days), "day")
	if iv.Micros != 0 || len(parts) == 0 {
		us := iv.Micros
		sign := ""
		if us < 0 {
			sign, us = "-", -us
		}
		s := fmt.Sprintf("%s%02d:%02d:%02d", sign, us/3_600_000_000, us/60_000_000%60, us/1_000_000%60)
		if frac := us % 1_000_000; frac != 0 {
			s += strings.TrimRight(fmt.Sprintf(".%06d", frac), "0")
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, " ")
}

// formatBlob writes bytes as DuckDB prints a BLOB: printable ASCII as is, other bytes (and
// the backslash) as \xHH.
func formatBlob(b []byte) string {
	var sb strings.Builder
	for _, c := range b {
		if c >= 0x20 && c < utf8.RuneSelf && c != 0x7f && c != '\\' {
			sb.WriteByte(c)
		} else {
			fmt.Fprintf(&sb, `\x%02X`, c)
		}
	}
	return sb.String()
}
