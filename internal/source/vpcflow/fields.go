package vpcflow

import (
	"fmt"
	"strings"
)

// Field is one VPC Flow Logs field (versions 2 to 8 of the record format).
type Field uint8

// The flow log fields, in the order of AWS's "Available fields" table. The default format is
// the version 2 fields, FieldVersion to FieldLogStatus, in this order.
const (
	FieldVersion Field = iota
	FieldAccountID
	FieldInterfaceID
	FieldSrcAddr
	FieldDstAddr
	FieldSrcPort
	FieldDstPort
	FieldProtocol
	FieldPackets
	FieldBytes
	FieldStart
	FieldEnd
	FieldAction
	FieldLogStatus
	FieldVPCID
	FieldSubnetID
	FieldInstanceID
	FieldTCPFlags
	FieldType
	FieldPktSrcAddr
	FieldPktDstAddr
	FieldRegion
	FieldAZID
	FieldSublocationType
	FieldSublocationID
	FieldPktSrcAWSService
	FieldPktDstAWSService
	FieldFlowDirection
	FieldTrafficPath
	FieldECSClusterARN
	FieldECSClusterName
	FieldECSContainerInstanceARN
	FieldECSContainerInstanceID
	FieldECSContainerID
	FieldECSSecondContainerID
	FieldECSServiceName
	FieldECSTaskDefinitionARN
	FieldECSTaskARN
	FieldECSTaskID
	FieldRejectReason

	numFields // the number of known fields
)

// Kind is the type of a field's values.
type Kind uint8

// Field kinds. Text records carry every field as text; Parquet deliveries use the physical
// type AWS documents for the field (INT_32, INT_64 or STRING).
const (
	KindString Kind = iota // text
	KindInt32              // a non-negative 32-bit integer (ports, protocol, flags, path)
	KindInt64              // a non-negative 64-bit integer (packets, bytes, times)
)

// fieldInfo describes one field: its name as a header writes it, the version of the record
// format that introduced it, its kind and, for integers, the largest valid value.
type fieldInfo struct {
	name    string
	version int
	kind    Kind
	max     int64
}

// fieldInfos is indexed by Field. It is never modified.
var fieldInfos = [numFields]fieldInfo{
	FieldVersion:                 {"version", 2, KindString, 0},
	FieldAccountID:               {"account-id", 2, KindString, 0},
	FieldInterfaceID:             {"interface-id", 2, KindString, 0},
	FieldSrcAddr:                 {"srcaddr", 2, KindString, 0},
	FieldDstAddr:                 {"dstaddr", 2, KindString, 0},
	FieldSrcPort:                 {"srcport", 2, KindInt32, 65535},
	FieldDstPort:                 {"dstport", 2, KindInt32, 65535},
	FieldProtocol:                {"protocol", 2, KindInt32, 255},
	FieldPackets:                 {"packets", 2, KindInt64, 1<<63 - 1},
	FieldBytes:                   {"bytes", 2, KindInt64, 1<<63 - 1},
	FieldStart:                   {"start", 2, KindInt64, maxUnixSeconds},
	FieldEnd:                     {"end", 2, KindInt64, maxUnixSeconds},
	FieldAction:                  {"action", 2, KindString, 0},
	FieldLogStatus:               {"log-status", 2, KindString, 0},
	FieldVPCID:                   {"vpc-id", 3, KindString, 0},
	FieldSubnetID:                {"subnet-id", 3, KindString, 0},
	FieldInstanceID:              {"instance-id", 3, KindString, 0},
	FieldTCPFlags:                {"tcp-flags", 3, KindInt32, 65535},
	FieldType:                    {"type", 3, KindString, 0},
	FieldPktSrcAddr:              {"pkt-srcaddr", 3, KindString, 0},
	FieldPktDstAddr:              {"pkt-dstaddr", 3, KindString, 0},
	FieldRegion:                  {"region", 4, KindString, 0},
	FieldAZID:                    {"az-id", 4, KindString, 0},
	FieldSublocationType:         {"sublocation-type", 4, KindString, 0},
	FieldSublocationID:           {"sublocation-id", 4, KindString, 0},
	FieldPktSrcAWSService:        {"pkt-src-aws-service", 5, KindString, 0},
	FieldPktDstAWSService:        {"pkt-dst-aws-service", 5, KindString, 0},
	FieldFlowDirection:           {"flow-direction", 5, KindString, 0},
	FieldTrafficPath:             {"traffic-path", 5, KindInt32, 1<<31 - 1},
	FieldECSClusterARN:           {"ecs-cluster-arn", 7, KindString, 0},
	FieldECSClusterName:          {"ecs-cluster-name", 7, KindString, 0},
	FieldECSContainerInstanceARN: {"ecs-container-instance-arn", 7, KindString, 0},
	FieldECSContainerInstanceID:  {"ecs-container-instance-id", 7, KindString, 0},
	FieldECSContainerID:          {"ecs-container-id", 7, KindString, 0},
	FieldECSSecondContainerID:    {"ecs-second-container-id", 7, KindString, 0},
	FieldECSServiceName:          {"ecs-service-name", 7, KindString, 0},
	FieldECSTaskDefinitionARN:    {"ecs-task-definition-arn", 7, KindString, 0},
	FieldECSTaskARN:              {"ecs-task-arn", 7, KindString, 0},
	FieldECSTaskID:               {"ecs-task-id", 7, KindString, 0},
	FieldRejectReason:            {"reject-reason", 8, KindString, 0},
}

// maxUnixSeconds bounds start and end so that their conversion to OCSF milliseconds cannot
// overflow: the end of year 9999.
const maxUnixSeconds = 253402300799

// Name is the field's name as flow log formats and text headers write it ("log-status").
func (f Field) Name() string {
	if f >= numFields {
		return fmt.Sprintf("Field(%d)", uint8(f))
	}
	return fieldInfos[f].name
}

// String returns the field's name.
func (f Field) String() string { return f.Name() }

// Column is the field's column name in Parquet deliveries and the key of its unmapped
// attribute: the name with '_' instead of '-' ("log_status").
func (f Field) Column() string {
	if f >= numFields {
		return f.Name()
	}
	return columnNames[f]
}

// columnNames is indexed by Field; it is computed once and never modified.
var columnNames = func() (names [numFields]string) {
	for f := range numFields {
		names[f] = strings.ReplaceAll(fieldInfos[f].name, "-", "_")
	}
	return names
}()

// Version is the version of the flow log record format that introduced the field.
func (f Field) Version() int {
	if f >= numFields {
		return 0
	}
	return fieldInfos[f].version
}

// Kind is the type of the field's values.
func (f Field) Kind() Kind {
	if f >= numFields {
		return KindString
	}
	return fieldInfos[f].kind
}

// FieldByName returns the field that name denotes, accepting the hyphenated header form
// ("log-status") and the underscored column form ("log_status"); ok is false for an unknown
// name.
func FieldByName(name string) (f Field, ok bool) {
	if len(name) == 0 || len(name) > maxFieldNameLen {
		return 0, false
	}
	for i := range numFields {
		if sameName(fieldInfos[i].name, name) {
			return i, true
		}
	}
	return 0, false
}

// maxFieldNameLen is the length of the longest field name.
const maxFieldNameLen = len("ecs-container-instance-arn")

// sameName reports whether name is known written with '-' or '_' between its words.
func sameName(known, name string) bool {
	if len(known) != len(name) {
		return false
	}
	for i := 0; i < len(known); i++ {
		c := name[i]
		if c == '_' {
			c = '-'
		}
		if c != known[i] {
			return false
		}
	}
	return true
}

// KnownFields returns every field this package knows (versions 2 to 8), in the order of
// AWS's table of available fields.
func KnownFields() []Field {
	fs := make([]Field, numFields)
	for i := range fs {
		fs[i] = Field(i)
	}
	return fs
}

// DefaultFields returns the fields of the default format, in their order: version
// account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end
// action log-status. Records without a header line use it.
func DefaultFields() []Field {
	return KnownFields()[:FieldLogStatus+1]
}

// FieldSet is a set of fields.
type FieldSet uint64

// FieldSetOf returns the set of fields fs.
func FieldSetOf(fs ...Field) FieldSet {
	var s FieldSet
	for _, f := range fs {
		s = s.With(f)
	}
	return s
}

// Has reports whether f is in s.
func (s FieldSet) Has(f Field) bool { return s&(1<<f) != 0 }

// With returns s with f added.
func (s FieldSet) With(f Field) FieldSet { return s | 1<<f }

// Layout is the ordered list of fields of a flow log's records: the default format, or the
// custom format a header line names.
type Layout struct {
	fields []Field
	set    FieldSet
}

// DefaultLayout returns the layout of the default format (DefaultFields).
func DefaultLayout() Layout {
	fs := DefaultFields()
	return Layout{fields: fs, set: FieldSetOf(fs...)}
}

// NewLayout returns the layout of fields in that order. It fails when fields is empty,
// names a field twice or holds a value that is not a known Field.
func NewLayout(fields ...Field) (Layout, error) {
	if len(fields) == 0 {
		return Layout{}, fmt.Errorf("vpcflow: a format needs at least one field")
	}
	var set FieldSet
	for _, f := range fields {
		if f >= numFields {
			return Layout{}, fmt.Errorf("vpcflow: unknown field %v", f)
		}
		if set.Has(f) {
			return Layout{}, fmt.Errorf("vpcflow: field %q appears twice in the format", f.Name())
		}
		set = set.With(f)
	}
	return Layout{fields: append([]Field(nil), fields...), set: set}, nil
}

// Fields returns the layout's fields in order.
func (l Layout) Fields() []Field { return append([]Field(nil), l.fields...) }

// Set returns the layout's fields as a set.
func (l Layout) Set() FieldSet { return l.set }

// String returns the layout as a header line writes it.
func (l Layout) String() string {
	var b strings.Builder
	for i, f := range l.fields {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(f.Name())
	}
	return b.String()
}

// UnknownFieldError reports a header or Parquet schema that names a field this package does
// not know, which makes the input's records impossible to interpret.
type UnknownFieldError struct {
	Name string // the unknown field's name as written
}

// Error implements error.
func (e *UnknownFieldError) Error() string {
	return fmt.Sprintf("unknown flow log field %q (known fields are those of versions 2 to 8)", e.Name)
}

// ParseHeader parses a header line, the space-separated field names that text deliveries
// to S3 start with, in any order, hyphenated or underscored (spaces and tabs around the
// line are ignored). It fails with an
// *UnknownFieldError when a name is unknown, and when a field appears twice.
func ParseHeader(line string) (Layout, error) {
	var (
		fields []Field
		set    FieldSet
	)
	for rest := trimLine(line); rest != ""; {
		var name string
		name, rest = nextToken(rest)
		if name == "" {
			break
		}
		f, ok := FieldByName(name)
		if !ok {
			return Layout{}, &UnknownFieldError{Name: name}
		}
		if set.Has(f) {
			return Layout{}, fmt.Errorf("field %q appears twice in the header", name)
		}
		set = set.With(f)
		fields = append(fields, f)
	}
	if len(fields) == 0 {
		return Layout{}, fmt.Errorf("empty header")
	}
	return Layout{fields: fields, set: set}, nil
}

// looksLikeHeader reports whether line reads as a header rather than a record: every token
// is a lowercase name of letters, digits, '-' and '_' starting with a letter, and at least
// one of them is a known field. Records always hold a number, an address, an uppercase word
// or a '-' that no header has (AWS writes "ACCEPT", "OK", "IPv4" in capitals).
func looksLikeHeader(line string) bool {
	known := false
	for rest := line; ; {
		var tok string
		tok, rest = nextToken(rest)
		if tok == "" {
			return known
		}
		if tok[0] < 'a' || tok[0] > 'z' {
			return false
		}
		for i := 1; i < len(tok); i++ {
			c := tok[i]
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
				return false
			}
		}
		if !known {
			_, known = FieldByName(tok)
		}
	}
}

// nextToken returns the first space-separated token of s and what follows it.
func nextToken(s string) (tok, rest string) {
	i := 0
	for i < len(s) && s[i] == ' ' {
		i++
	}
	j := i
	for j < len(s) && s[j] != ' ' {
		j++
	}
	return s[i:j], s[j:]
}

// trimLine removes the spaces, tabs and carriage returns around a line.
func trimLine(s string) string {
	i, j := 0, len(s)
	for i < j && isSpace(s[i]) {
		i++
	}
	for j > i && isSpace(s[j-1]) {
		j--
	}
	return s[i:j]
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' }
