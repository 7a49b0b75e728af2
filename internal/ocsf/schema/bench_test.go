package schema

import (
	"bytes"
	"encoding/json"
	"testing"
)

// BenchmarkValidate validates a decoded Network Activity event (a VPC Flow Logs record with
// every attribute mcpwatch fills).
func BenchmarkValidate(b *testing.B) {
	s := mustDefault(b)
	event := toMap(b, validEvents()["NetworkActivity"])
	if errs := s.Validate(event); errs != nil {
		b.Fatal(errs)
	}
	b.ReportAllocs()
	for b.Loop() {
		s.Validate(event)
	}
}

// BenchmarkValidateInvalid validates a Network Activity event with three problems, to show
// the cost of reporting.
func BenchmarkValidateInvalid(b *testing.B) {
	s := mustDefault(b)
	event := toMap(b, validEvents()["NetworkActivity"])
	set(b, event, "src_endpoint.ip", "10.0.0.256")
	set(b, event, "type_uid", 400101)
	set(b, event, "bogus", true)
	if errs := s.Validate(event); len(errs) != 3 {
		b.Fatal(errs)
	}
	b.ReportAllocs()
	for b.Loop() {
		s.Validate(event)
	}
}

// BenchmarkValidateValue validates an *ocsf.NetworkActivity: JSON marshalling, decoding and
// validation.
func BenchmarkValidateValue(b *testing.B) {
	s := mustDefault(b)
	event := validEvents()["NetworkActivity"]
	b.ReportAllocs()
	for b.Loop() {
		if err := s.ValidateValue(event); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkValidateStream validates NDJSON of Network Activity events, reporting throughput.
func BenchmarkValidateStream(b *testing.B) {
	s := mustDefault(b)
	line, err := json.Marshal(validEvents()["NetworkActivity"])
	if err != nil {
		b.Fatal(err)
	}
	const n = 1000
	input := bytes.Repeat(append(line, '\n'), n)
	b.SetBytes(int64(len(input)))
	b.ReportAllocs()
	for b.Loop() {
		sum, err := s.ValidateStream(b.Context(), bytes.NewReader(input), nil)
		if err != nil || sum.Valid != n {
			b.Fatal(sum, err)
		}
	}
}

// BenchmarkCompile compiles the embedded OCSF 1.1.0 schema, which Load does once.
func BenchmarkCompile(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Compile(mustSub(b, Version110)); err != nil {
			b.Fatal(err)
		}
	}
}
