package schema

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
)

func TestDataTypes(t *testing.T) {
	s := mustDefault(t)
	// A data type is checked through an attribute of that type.
	typ := func(name string) *dataType {
		for _, o := range s.objects {
			for _, a := range o.attrs {
				if a.typ != nil && a.typ.name == name {
					return a.typ
				}
			}
		}
		t.Fatalf("no attribute of type %s", name)
		return nil
	}
	tests := []struct {
		typ  string
		val  any
		want Kind // 0 for valid
	}{
		{"string_t", "x", 0},
		{"string_t", "", 0},
		{"string_t", 1, KindType},
		{"string_t", strings.Repeat("a", 65535), 0},
		{"string_t", strings.Repeat("a", 65536), KindValue},
		{"string_t", strings.Repeat("é", 65535), 0}, // characters, not bytes
		{"integer_t", json.Number("2147483647"), 0},
		{"integer_t", json.Number("-2147483648"), 0},
		{"integer_t", json.Number("2147483648"), KindValue},
		{"integer_t", json.Number("-2147483649"), KindValue},
		{"integer_t", json.Number("1e3"), 0},
		{"integer_t", json.Number("1.5"), KindType},
		{"integer_t", 3.0, 0},
		{"integer_t", 3.25, KindType},
		{"integer_t", int64(7), 0},
		{"integer_t", uint64(math.MaxUint64), KindValue},
		{"integer_t", "3", KindType},
		{"integer_t", true, KindType},
		{"long_t", json.Number("9223372036854775807"), 0},
		{"long_t", json.Number("9223372036854775808"), KindValue},
		{"long_t", json.Number("-9223372036854775808"), 0},
		{"timestamp_t", json.Number("1710428966535"), 0},
		{"timestamp_t", "2024-03-14T15:09:26Z", KindType},
		{"port_t", 0, 0},
		{"port_t", 65535, 0},
		{"port_t", 65536, KindValue},
		{"port_t", -1, KindValue},
		{"float_t", json.Number("0.5"), 0},
		{"float_t", json.Number("2"), 0},
		{"float_t", "0.5", KindType},
		{"boolean_t", false, 0},
		{"boolean_t", "true", KindType},
		{"json_t", map[string]any{"a": []any{1}}, 0},
		{"json_t", "anything", 0},
		{"ip_t", "192.0.2.1", 0},
		{"ip_t", "2001:db8::8a2e:370:7334", 0},
		{"ip_t", "::ffff:192.0.2.1", 0},
		{"ip_t", "fe80::1%eth0", 0},
		{"ip_t", "192.0.2.256", KindValue},
		{"ip_t", "192.000.2.1", KindValue},
		{"ip_t", " 192.0.2.1", KindValue},
		{"ip_t", "example.com", KindValue},
		{"ip_t", "", KindValue},
		{"subnet_t", "10.0.0.0/8", 0},
		{"subnet_t", "2001:db8::/32", 0},
		{"subnet_t", "10.0.0.0", KindValue},
		{"datetime_t", "2024-03-14T15:09:26Z", 0},
		{"datetime_t", "2022-04-11T20:02:12.000-04:00", 0},
		{"datetime_t", "2024-03-14T15:09:26.123456789+05:30", 0},
		{"datetime_t", "2024-03-14T15:09:26", KindValue},
		{"datetime_t", "2024-03-14 15:09:26Z", KindValue},
		{"datetime_t", "2024-13-14T15:09:26Z", KindValue},
		{"mac_t", "00:1A:2b:3c:4d:5e", 0},
		{"mac_t", "00-1a-2b-3c-4d-5e", 0},
		{"mac_t", "001a.2b3c.4d5e", KindValue},
		{"mac_t", "00:1a:2b:3c:4d:5g", KindValue},
		{"mac_t", "00:1a:2b:3c:4d:5e:6f", KindValue},
		{"email_t", "alice@example.com", 0},
		{"email_t", "alice+mcp@mail.example.co.uk", 0},
		{"email_t", "alice", KindValue},
		{"email_t", "alice@localhost", KindValue},
		{"uuid_t", "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0", 0},
		{"uuid_t", "0f1e2d3c4b5a69788796a5b4c3d2e1f0", KindValue},
		{"uuid_t", "urn:uuid:0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0", KindValue},
		{"url_t", "https://mcp.example.com/sse?x=1", 0},
		{"url_t", "/relative/path", 0},
		{"url_t", "http://[::1", KindValue},
		{"hostname_t", "mcp.example.com", 0},
		{"hostname_t", "mcp.example.com.", 0},
		{"hostname_t", "_dmarc.example.com", 0},
		{"hostname_t", "localhost", 0},
		{"hostname_t", "10.0.0.1", 0},
		{"hostname_t", "", KindValue},
		{"hostname_t", ".", KindValue},
		{"hostname_t", "a..b", KindValue},
		{"hostname_t", "-a.b", KindValue},
		{"hostname_t", "a-.b", KindValue},
		{"hostname_t", "exa mple.com", KindValue},
		{"hostname_t", strings.Repeat("a", 64) + ".com", KindValue},
		{"hostname_t", strings.Repeat("a.", 127) + "com", KindValue},
		{"username_t", "alice", 0},
	}
	for _, tt := range tests {
		kind, msg := typ(tt.typ).checkValue(tt.val)
		if kind != tt.want || (kind == 0) != (msg == "") {
			short := describe(tt.val)
			t.Errorf("%s %s: got %v %q, want %v", tt.typ, short, kind, msg, tt.want)
		}
	}
}

func TestCompareNatural(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"observables[2]", "observables[10]", -1},
		{"observables[10].name", "observables[9].type", 1},
		{"a", "a", 0},
		{"a", "a.b", -1},
		{"a007", "a7", 0},
		{"", "a", -1},
	}
	for _, tt := range tests {
		got := compareNatural(tt.a, tt.b)
		if got < 0 && tt.want >= 0 || got > 0 && tt.want <= 0 || got == 0 && tt.want != 0 {
			t.Errorf("compareNatural(%q, %q) = %d, want sign %d", tt.a, tt.b, got, tt.want)
		}
	}
}
