package vpcflow

import (
	"strconv"
	"unicode/utf8"
)

// Record is one flow log record with typed values. Fields is the set of fields its input
// carries (the layout or the Parquet columns); Dash is the subset whose value in this record
// is "-" (or null in Parquet): the field does not apply or could not be computed. A field
// outside Fields is absent from the input altogether, which OCSF mapping tells apart from
// "-" in a few places (flow-direction).
//
// String fields hold the text as written, "-" included; numeric fields hold 0 when their
// field is in Dash or not in Fields. Strings of a parsed record share the memory of its line.
type Record struct {
	Fields FieldSet
	Dash   FieldSet

	Version          string // the record format version, digits ("2", "5")
	AccountID        string
	InterfaceID      string
	SrcAddr          string
	DstAddr          string
	SrcPort          int32
	DstPort          int32
	Protocol         int32 // IANA protocol number
	Packets          int64
	Bytes            int64
	Start            int64 // Unix seconds
	End              int64 // Unix seconds
	Action           string
	LogStatus        string
	VPCID            string
	SubnetID         string
	InstanceID       string
	TCPFlags         int32
	Type             string
	PktSrcAddr       string
	PktDstAddr       string
	Region           string
	AZID             string
	SublocationType  string
	SublocationID    string
	PktSrcAWSService string
	PktDstAWSService string
	FlowDirection    string
	TrafficPath      int32

	ECSClusterARN           string
	ECSClusterName          string
	ECSContainerInstanceARN string
	ECSContainerInstanceID  string
	ECSContainerID          string
	ECSSecondContainerID    string
	ECSServiceName          string
	ECSTaskDefinitionARN    string
	ECSTaskARN              string
	ECSTaskID               string
	RejectReason            string
}

// Has reports whether the record has a value for f: its input carries f and the value is
// not "-".
func (r *Record) Has(f Field) bool { return r.Fields&^r.Dash&(1<<f) != 0 }

// SetString sets string field f to v and marks it present ("-" marks it Dash). It does
// nothing for a numeric field.
func (r *Record) SetString(f Field, v string) {
	p := r.stringField(f)
	if p == nil {
		return
	}
	*p = v
	r.Fields = r.Fields.With(f)
	if v == "-" {
		r.Dash = r.Dash.With(f)
	} else {
		r.Dash &^= 1 << f
	}
}

// SetInt sets numeric field f to v and marks it present. It does nothing for a string field.
func (r *Record) SetInt(f Field, v int64) {
	switch f.Kind() {
	case KindInt32:
		*r.int32Field(f) = int32(v)
	case KindInt64:
		*r.int64Field(f) = v
	default:
		return
	}
	r.Fields = r.Fields.With(f)
	r.Dash &^= 1 << f
}

// SetDash marks f present with the value "-".
func (r *Record) SetDash(f Field) {
	if p := r.stringField(f); p != nil {
		*p = "-"
	}
	r.Fields = r.Fields.With(f)
	r.Dash = r.Dash.With(f)
}

// String returns the value of string field f as written ("" when the input lacks it).
func (r *Record) String(f Field) string {
	if p := r.stringField(f); p != nil {
		return *p
	}
	return ""
}

// Int returns the value of numeric field f; ok is false when the record has no value for it.
func (r *Record) Int(f Field) (v int64, ok bool) {
	switch f.Kind() {
	case KindInt32:
		v = int64(*r.int32Field(f))
	case KindInt64:
		v = *r.int64Field(f)
	default:
		return 0, false
	}
	return v, r.Has(f)
}

// stringField returns the address of string field f, or nil for a numeric or unknown field.
func (r *Record) stringField(f Field) *string {
	switch f {
	case FieldVersion:
		return &r.Version
	case FieldAccountID:
		return &r.AccountID
	case FieldInterfaceID:
		return &r.InterfaceID
	case FieldSrcAddr:
		return &r.SrcAddr
	case FieldDstAddr:
		return &r.DstAddr
	case FieldAction:
		return &r.Action
	case FieldLogStatus:
		return &r.LogStatus
	case FieldVPCID:
		return &r.VPCID
	case FieldSubnetID:
		return &r.SubnetID
	case FieldInstanceID:
		return &r.InstanceID
	case FieldType:
		return &r.Type
	case FieldPktSrcAddr:
		return &r.PktSrcAddr
	case FieldPktDstAddr:
		return &r.PktDstAddr
	case FieldRegion:
		return &r.Region
	case FieldAZID:
		return &r.AZID
	case FieldSublocationType:
		return &r.SublocationType
	case FieldSublocationID:
		return &r.SublocationID
	case FieldPktSrcAWSService:
		return &r.PktSrcAWSService
	case FieldPktDstAWSService:
		return &r.PktDstAWSService
	case FieldFlowDirection:
		return &r.FlowDirection
	case FieldECSClusterARN:
		return &r.ECSClusterARN
	case FieldECSClusterName:
		return &r.ECSClusterName
	case FieldECSContainerInstanceARN:
		return &r.ECSContainerInstanceARN
	case FieldECSContainerInstanceID:
		return &r.ECSContainerInstanceID
	case FieldECSContainerID:
		return &r.ECSContainerID
	case FieldECSSecondContainerID:
		return &r.ECSSecondContainerID
	case FieldECSServiceName:
		return &r.ECSServiceName
	case FieldECSTaskDefinitionARN:
		return &r.ECSTaskDefinitionARN
	case FieldECSTaskARN:
		return &r.ECSTaskARN
	case FieldECSTaskID:
		return &r.ECSTaskID
	case FieldRejectReason:
		return &r.RejectReason
	}
	return nil
}

// int32Field returns the address of KindInt32 field f; f must be one.
func (r *Record) int32Field(f Field) *int32 {
	switch f {
	case FieldSrcPort:
		return &r.SrcPort
	case FieldDstPort:
		return &r.DstPort
	case FieldProtocol:
		return &r.Protocol
	case FieldTCPFlags:
		return &r.TCPFlags
	default: // FieldTrafficPath
		return &r.TrafficPath
	}
}

// int64Field returns the address of KindInt64 field f; f must be one.
func (r *Record) int64Field(f Field) *int64 {
	switch f {
	case FieldPackets:
		return &r.Packets
	case FieldBytes:
		return &r.Bytes
	case FieldStart:
		return &r.Start
	default: // FieldEnd
		return &r.End
	}
}

// ParseError is why a text record could not be parsed.
type ParseError struct {
	Field  Field  // the field at fault; meaningful only when HasField
	Value  string // the offending value, shortened
	Reason string
	// HasField is false for errors about the line as a whole (field count, encoding).
	HasField bool
}

// Error implements error.
func (e *ParseError) Error() string {
	if !e.HasField {
		return e.Reason
	}
	return e.Field.Name() + ": " + e.Reason + ": " + strconv.Quote(e.Value)
}

// maxQuotedValue bounds how much of a bad value an error message repeats.
const maxQuotedValue = 64

func fieldError(f Field, v, reason string) *ParseError {
	if len(v) > maxQuotedValue {
		v = v[:maxQuotedValue] + "..."
	}
	return &ParseError{Field: f, Value: v, Reason: reason, HasField: true}
}

// Parse parses one text record (a line without its line ending) in layout l into r.
// Fields are separated by spaces (runs of them are accepted); "-" is a value that is not
// there. A record is printable UTF-8 text: control characters, tabs included, are refused. Parse overwrites every field of the layout and leaves the others zero
// (it clears r when r last held a record of another layout); the strings of r share line's
// memory.
//
// Parse checks the record's shape, encoding and numbers; addresses are checked by the
// normalizer, which Parquet records go through as well.
func (l Layout) Parse(line string, r *Record) error {
	if r.Fields != l.set {
		*r = Record{Fields: l.set}
	}
	r.Dash = 0
	if err := checkText(line); err != nil {
		return err
	}
	i, n := 0, len(line)
	for fi, f := range l.fields {
		for i < n && line[i] == ' ' {
			i++
		}
		if i == n {
			return &ParseError{Reason: "too few fields: " + strconv.Itoa(fi) + " of " + strconv.Itoa(len(l.fields))}
		}
		start := i
		info := &fieldInfos[f]
		if info.kind != KindString {
			// Fast path: a run of at most 18 digits ending the token.
			var v int64
			for i < n && i-start < 18 {
				c := line[i] - '0'
				if c > 9 {
					break
				}
				v = v*10 + int64(c)
				i++
			}
			if i > start && (i == n || line[i] == ' ') && v <= info.max {
				if info.kind == KindInt32 {
					*r.int32Field(f) = int32(v)
				} else {
					*r.int64Field(f) = v
				}
				continue
			}
		}
		for i < n && line[i] != ' ' {
			i++
		}
		if err := r.setText(f, line[start:i]); err != nil {
			return err
		}
	}
	for i < n && line[i] == ' ' {
		i++
	}
	if i < n {
		return &ParseError{Reason: "too many fields: more than the " + strconv.Itoa(len(l.fields)) + " of the format"}
	}
	return nil
}

// setText sets field f from its text value tok, which is not empty.
func (r *Record) setText(f Field, tok string) error {
	info := &fieldInfos[f]
	if tok == "-" {
		r.Dash |= 1 << f
		switch info.kind {
		case KindString:
			*r.stringField(f) = tok
		case KindInt32:
			*r.int32Field(f) = 0
		case KindInt64:
			*r.int64Field(f) = 0
		}
		return nil
	}
	switch info.kind {
	case KindString:
		if f == FieldVersion && !isDigits(tok) {
			return fieldError(f, tok, "not a version number")
		}
		*r.stringField(f) = tok
	case KindInt32:
		v, ok := parseUint(tok, info.max)
		if !ok {
			return fieldError(f, tok, numberReason(tok, info.max))
		}
		*r.int32Field(f) = int32(v)
	case KindInt64:
		v, ok := parseUint(tok, info.max)
		if !ok {
			return fieldError(f, tok, numberReason(tok, info.max))
		}
		*r.int64Field(f) = v
	}
	return nil
}

// checkText fails unless s is valid UTF-8 without control characters. Eight bytes at a
// time, it tests that all are printable ASCII, and looks closer only at words that are not.
func checkText(s string) *ParseError {
	const (
		ones  = 0x0101010101010101
		highs = 0x8080808080808080
	)
	i := 0
	for ; i+8 <= len(s); i += 8 {
		x := uint64(s[i]) | uint64(s[i+1])<<8 | uint64(s[i+2])<<16 | uint64(s[i+3])<<24 |
			uint64(s[i+4])<<32 | uint64(s[i+5])<<40 | uint64(s[i+6])<<48 | uint64(s[i+7])<<56
		// A byte below 0x20, or above 0x7e (DEL and non-ASCII), sets its high bit here.
		if ((x-0x20*ones)&^x|(x+(0x7f-0x7e)*ones)|x)&highs != 0 {
			break
		}
	}
	for i < len(s) {
		c := s[i]
		if c >= 0x20 && c < 0x7f {
			i++
			continue
		}
		if c < 0x80 {
			return &ParseError{Reason: "control character 0x" + strconv.FormatUint(uint64(c), 16) + " at byte " + strconv.Itoa(i+1)}
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size <= 1 {
			return &ParseError{Reason: "invalid UTF-8 at byte " + strconv.Itoa(i+1)}
		}
		i += size
	}
	return nil
}

// parseUint parses a decimal number of at most 19 digits no greater than limit.
func parseUint(s string, limit int64) (int64, bool) {
	if len(s) == 0 || len(s) > 19 {
		return 0, false
	}
	var n int64
	for i := 0; i < len(s); i++ {
		c := s[i] - '0'
		if c > 9 {
			return 0, false
		}
		n = n*10 + int64(c) // 19 digits cannot overflow int64
	}
	if n < 0 || n > limit {
		return 0, false
	}
	return n, true
}

// numberReason explains why parseUint refused s.
func numberReason(s string, limit int64) string {
	if len(s) <= 19 && isDigits(s) {
		return "out of range 0.." + strconv.FormatInt(limit, 10)
	}
	return "not a non-negative integer"
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
