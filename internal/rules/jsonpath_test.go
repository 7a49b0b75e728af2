package rules

import (
	"slices"
	"strings"
	"testing"
)

func TestJSONPath(t *testing.T) {
	const sg = `{"groupId":"sg-1","ipPermissions":{"items":[{"ipProtocol":"tcp","fromPort":8000,"toPort":8000,` +
		`"ipRanges":{"items":[{"cidrIp":"0.0.0.0/0"},{"cidrIp":"10.0.0.0/8"}]}},{"toPort":22,"ipRanges":{"items":[{"cidrIp":"1.2.3.4/32"}]}}]}}`
	tests := []struct {
		data, path string
		want       []string
	}{
		{`{"userData":"IyEv","instanceType":"t3"}`, "userData", []string{"IyEv"}},
		{`{"a":{"b":{"c":1}},"c":2}`, "a.b.c", []string{"1"}},
		{`{"a":{"b":{"c":1}},"c":2}`, "c", []string{"2"}},
		{`{"parameters":{"commands":["cd /opt","uvx mcp-server-fetch"]}}`, "parameters.commands", []string{"cd /opt", "uvx mcp-server-fetch"}},
		{`{"containerDefinitions":[{"image":"nginx"},{"name":"x"},{"image":"mcp/github"}]}`, "containerDefinitions.image", []string{"nginx", "mcp/github"}},
		{sg, "ipPermissions.items.ipRanges.items.cidrIp", []string{"0.0.0.0/0", "10.0.0.0/8", "1.2.3.4/32"}},
		{sg, "ipPermissions.items.toPort", []string{"8000", "22"}},
		{`{"a":{"x":[1,2]}}`, "a", []string{`{"x":[1,2]}`}},
		{`{"a":"say \"hi\"\n"}`, "a", []string{"say \"hi\"\n"}},
		{`{"a\u0062":"escaped key"}`, "ab", nil}, // documented: escaped last names are not found
		{`{"\u0061":{"b":"escaped inner key"}}`, "a.b", []string{"escaped inner key"}},
		{`{"a":null,"b":true}`, "a", nil},
		{`{"a":null,"b":true}`, "b", []string{"true"}},
		{`{"s":"{\"a\":1}","a":2}`, "a", []string{"2"}},
		{`[{"a":1},{"a":[2,[3]]}]`, "a", []string{"1", "2", "3"}},
		{`{"a":`, "a", nil},
		{`{"a":[1,2`, "a", []string{"1", "2"}},
		{`{"a" 1}`, "a", nil},
		{`not json`, "a", nil},
	}
	for _, tc := range tests {
		got := newJSONPath(strings.Split(tc.path, ".")).appendValues(nil, tc.data)
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s in %s = %q, want %q", tc.path, tc.data, got, tc.want)
		}
	}
}

func FuzzJSONPath(f *testing.F) {
	f.Add(`{"a":{"b":[1,"x",{"c":null}]}}`, "a.b.c")
	f.Add(`{"ipPermissions":{"items":[{"ipRanges":{"items":[{"cidrIp":"0.0.0.0/0"}]}}]}}`, "ipPermissions.items.ipRanges.items.cidrIp")
	f.Add(`[[[[`, "a")
	f.Add(`{"a":"\\\"}`, "a")
	f.Fuzz(func(t *testing.T, data, path string) {
		p := newJSONPath(strings.Split(path, "."))
		vals := p.appendValues(nil, data)
		for _, v := range vals {
			// A value is a substring of the text unless it was unescaped.
			if !strings.Contains(data, v) && !strings.Contains(data, `\`) {
				t.Fatalf("value %q is not in %q", v, data)
			}
		}
		if len(vals) > len(data) {
			t.Fatalf("%d values from %d bytes", len(vals), len(data))
		}
	})
}
