package lake

import (
	"fmt"
	"reflect"

	"github.com/mcpwatch/mcpwatch/internal/ocsf"
	"github.com/parquet-go/parquet-go"
)

// Security Lake source names of the tables mcpwatch writes or reads.
const (
	VPCFlow        = "VPC_FLOW"
	Route53        = "ROUTE53"
	CloudTrailMgmt = "CLOUD_TRAIL_MGMT"
	SHFindings     = "SH_FINDINGS"
	// Findings is the table of mcpwatch's own findings (OCSF Detection Finding).
	Findings = "FINDINGS"
)

// SourceVersion is the Security Lake source version of OCSF 1.1.0, the version mcpwatch writes.
const SourceVersion = "2.0"

// Table binds a lake table, a Security Lake source name and version, to the Go type of its
// Parquet rows and to the event types stored in it. Build one with TableOf or UnionTable;
// the zero Table is invalid.
type Table struct {
	name, version string
	codec         tableCodec
}

// Name is the table's source name, such as VPC_FLOW.
func (t Table) Name() string { return t.name }

// Version is the table's source version, such as 2.0.
func (t Table) Version() string { return t.version }

// RowType is the Go type of the table's rows.
func (t Table) RowType() reflect.Type {
	if t.codec == nil {
		return nil
	}
	return t.codec.rowType()
}

// TableOf returns the table name/version whose rows are the OCSF class T, stored as is: a
// *T given to Txn.Write is copied into the table.
func TableOf[T any, PT interface {
	*T
	ocsf.Event
}](name, version string) Table {
	return Table{name: name, version: version, codec: &typedCodec[T]{
		accept: []reflect.Type{reflect.TypeFor[PT]()},
		header: func(ev ocsf.Event) *ocsf.Base {
			p, ok := ev.(PT)
			if !ok || p == nil {
				return nil
			}
			return p.Header()
		},
		convert: func(dst *T, ev ocsf.Event) bool {
			p, ok := ev.(PT)
			if !ok || p == nil {
				return false
			}
			*dst = *p
			return true
		},
	}}
}

// UnionTable returns the table name/version whose rows are of type R and that stores events
// of several classes, such as CLOUD_TRAIL_MGMT, which holds API Activity, Authentication and
// Account Change events in one schema. accepts lists one value of each event type the table
// takes (a typed nil pointer is enough, e.g. (*ocsf.APIActivity)(nil)); convert fills dst
// from ev, overwriting every field of dst (it is a reused row), and reports false if it
// cannot. Partitioning uses ev's own header.
func UnionTable[R any](name, version string, convert func(dst *R, ev ocsf.Event) bool, accepts ...ocsf.Event) Table {
	c := &typedCodec[R]{convert: convert}
	for _, a := range accepts {
		c.accept = append(c.accept, reflect.TypeOf(a))
	}
	c.header = func(ev ocsf.Event) *ocsf.Base {
		if v := reflect.ValueOf(ev); !v.IsValid() || (v.Kind() == reflect.Pointer && v.IsNil()) {
			return nil
		}
		return ev.Header()
	}
	return Table{name: name, version: version, codec: c}
}

// DefaultTables returns the tables mcpwatch writes today: VPC_FLOW (Network Activity),
// ROUTE53 (DNS Activity), CLOUD_TRAIL_MGMT (API Activity, Authentication and Account Change,
// see CloudTrailRow), SH_FINDINGS (the findings of other products, ocsf.ImportedFinding)
// and FINDINGS (mcpwatch's own, ocsf.DetectionFinding), all at SourceVersion.
//
// Events are routed by Go type: SH_FINDINGS and FINDINGS both hold OCSF findings, and the
// distinct type of imported findings keeps a GuardDuty finding out of mcpwatch's own.
func DefaultTables() []Table {
	return []Table{
		TableOf[ocsf.NetworkActivity](VPCFlow, SourceVersion),
		TableOf[ocsf.DNSActivity](Route53, SourceVersion),
		CloudTrailMgmtTable(),
		TableOf[ocsf.ImportedFinding](SHFindings, SourceVersion),
		TableOf[ocsf.DetectionFinding](Findings, SourceVersion),
		MCPInventoryTable(),
	}
}

// ocsfVersionOf returns the OCSF version a Security Lake source version holds.
func ocsfVersionOf(sourceVersion string) string {
	switch sourceVersion {
	case "1.0":
		return "1.0.0-rc.2"
	case "2.0":
		return ocsf.Version
	}
	return ""
}

// validate reports why t cannot be used, or nil.
func (t Table) validate() error {
	if t.codec == nil {
		return fmt.Errorf("lake: zero Table")
	}
	if !validName(t.name) {
		return fmt.Errorf("lake: table name %q: want letters, digits and '_'", t.name)
	}
	if !validVersion(t.version) {
		return fmt.Errorf("lake: table %s: version %q: want digits and '.'", t.name, t.version)
	}
	if len(t.codec.accepts()) == 0 {
		return fmt.Errorf("lake: table %s accepts no event type", t.name)
	}
	for _, a := range t.codec.accepts() {
		if a == nil {
			return fmt.Errorf("lake: table %s accepts an untyped nil event", t.name)
		}
	}
	return nil
}

// validName reports whether s is a table name: ASCII letters, digits and '_', 1 to 64 bytes.
func validName(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	for i := range len(s) {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// validVersion reports whether s is a source version: digits and dots, not starting with a
// dot, 1 to 16 bytes.
func validVersion(s string) bool {
	if len(s) == 0 || len(s) > 16 || s[0] == '.' {
		return false
	}
	for i := range len(s) {
		if c := s[i]; !(c >= '0' && c <= '9' || c == '.') {
			return false
		}
	}
	return s != "." && s != ".."
}

// tableCodec is the part of a table that knows its Go row type. It is implemented by
// typedCodec[R], which keeps the generic code (batches, encoders, readers) away from the
// non-generic Lake and Txn.
type tableCodec interface {
	rowType() reflect.Type
	accepts() []reflect.Type
	schema() *parquet.Schema
	// newWriter returns the writer of this table's rows for one transaction.
	newWriter(tx *Txn, t *tableState) tableWriter
}

// typedCodec is the tableCodec of tables whose rows are R.
type typedCodec[R any] struct {
	accept []reflect.Type
	// header returns the header of ev, or nil if ev is a nil pointer or not accepted.
	header func(ev ocsf.Event) *ocsf.Base
	// convert overwrites dst with ev, or reports false.
	convert func(dst *R, ev ocsf.Event) bool
}

func (c *typedCodec[R]) rowType() reflect.Type   { return reflect.TypeFor[R]() }
func (c *typedCodec[R]) accepts() []reflect.Type { return c.accept }
func (c *typedCodec[R]) schema() *parquet.Schema { return parquet.SchemaOf(new(R)) }
func (c *typedCodec[R]) newWriter(tx *Txn, t *tableState) tableWriter {
	return newTypedWriter[R](tx, t, c)
}
