package schema

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/mcpwatch/mcpwatch/internal/ocsf"
)

func TestValidGoTypeEvents(t *testing.T) {
	for name, event := range validEvents() {
		t.Run(name, func(t *testing.T) {
			if err := Validate(event); err != nil {
				t.Errorf("valid %s is invalid:\n%v", name, err)
			}
		})
	}
}

// want is an expected error: its path and kind.
type want struct {
	path string
	kind Kind
}

func (w want) String() string { return fmt.Sprintf("%s [%s]", w.path, w.kind) }

// authorizeSession is a valid Authorize Session (3003) event, the class with a just_one
// constraint; package ocsf has no type for it.
func authorizeSession(t *testing.T) map[string]any {
	m := toMap(t, base(3003, 1, securityLakeProfiles...))
	m["class_name"], m["type_name"] = "Authorize Session", "Authorize Session: Assign Privileges"
	m["category_uid"], m["category_name"] = 3, "Identity & Access Management"
	m["activity_name"] = "Assign Privileges"
	m["user"] = map[string]any{"name": "alice"}
	m["privileges"] = []any{"SeDebugPrivilege"}
	return m
}

func TestBrokenEvents(t *testing.T) {
	s := mustDefault(t)
	valid := validEvents()
	tests := []struct {
		name   string
		class  string // key of validEvents, or "AuthorizeSession"
		mutate func(t *testing.T, m map[string]any)
		want   []want
	}{
		// Required attributes.
		{"missing required attribute", "NetworkActivity",
			func(t *testing.T, m map[string]any) { del(t, m, "src_endpoint") },
			[]want{{"src_endpoint", KindRequired}}},
		{"missing required attribute of an object", "NetworkActivity",
			func(t *testing.T, m map[string]any) { del(t, m, "metadata.product.vendor_name") },
			[]want{{"metadata.product.vendor_name", KindRequired}}},
		{"missing required attribute of an array element", "NetworkActivity",
			func(t *testing.T, m map[string]any) { del(t, m, "observables[1].name") },
			[]want{{"observables[1].name", KindRequired}}},
		{"null is absent", "NetworkActivity",
			func(t *testing.T, m map[string]any) { set(t, m, "time", nil) },
			[]want{{"time", KindRequired}}},
		{"missing required attribute of the class, not its base", "APIActivity",
			func(t *testing.T, m map[string]any) { del(t, m, "api") },
			[]want{{"api", KindRequired}}},

		// Types.
		{"wrong type: string for port_t", "NetworkActivity",
			func(t *testing.T, m map[string]any) { set(t, m, "src_endpoint.port", "443") },
			[]want{{"src_endpoint.port", KindType}}},
		{"wrong type: object for string", "NetworkActivity",
			func(t *testing.T, m map[string]any) { set(t, m, "dst_endpoint.hostname", map[string]any{}) },
			[]want{{"dst_endpoint.hostname", KindType}}},
		{"wrong type: object for array", "NetworkActivity",
			func(t *testing.T, m map[string]any) { set(t, m, "dst_endpoint.intermediate_ips", map[string]any{}) },
			[]want{{"dst_endpoint.intermediate_ips", KindType}}},
		{"wrong type: array element", "NetworkActivity",
			func(t *testing.T, m map[string]any) { set(t, m, "dst_endpoint.intermediate_ips", []any{"10.0.0.1", 7}) },
			[]want{{"dst_endpoint.intermediate_ips[1]", KindType}}},
		{"wrong type: fraction for long_t", "NetworkActivity",
			func(t *testing.T, m map[string]any) { set(t, m, "traffic.bytes", 1.5) },
			[]want{{"traffic.bytes", KindType}}},
		{"wrong type: number for boolean_t", "APIActivity",
			func(t *testing.T, m map[string]any) { set(t, m, "actor.session.is_mfa", 1) },
			[]want{{"actor.session.is_mfa", KindType}}},
		{"wrong type: string for object", "NetworkActivity",
			func(t *testing.T, m map[string]any) { set(t, m, "cloud", "AWS") },
			[]want{{"cloud", KindType}}},
		{"port_t out of range", "NetworkActivity",
			func(t *testing.T, m map[string]any) { set(t, m, "src_endpoint.port", 65536) },
			[]want{{"src_endpoint.port", KindValue}}},
		{"integer_t is 32-bit", "NetworkActivity",
			func(t *testing.T, m map[string]any) { set(t, m, "connection_info.protocol_num", int64(1)<<31) },
			[]want{{"connection_info.protocol_num", KindValue}}},
		{"long_t is 64-bit", "NetworkActivity",
			func(t *testing.T, m map[string]any) { set(t, m, "traffic.bytes", 1e19) },
			[]want{{"traffic.bytes", KindValue}}},
		{"string_t max_len", "NetworkActivity",
			func(t *testing.T, m map[string]any) { set(t, m, "message", strings.Repeat("é", 65536)) },
			[]want{{"message", KindValue}}},
		{"bad ip", "NetworkActivity",
			func(t *testing.T, m map[string]any) { set(t, m, "src_endpoint.ip", "10.0.1.256") },
			[]want{{"src_endpoint.ip", KindValue}}},
		{"bad ip in an array", "NetworkActivity",
			func(t *testing.T, m map[string]any) {
				set(t, m, "dst_endpoint.intermediate_ips", []any{"10.0.0.1", "::g"})
			},
			[]want{{"dst_endpoint.intermediate_ips[1]", KindValue}}},
		{"bad datetime", "NetworkActivity",
			func(t *testing.T, m map[string]any) { set(t, m, "time_dt", "2025-03-14 15:09:26") },
			[]want{{"time_dt", KindValue}}},
		{"bad mac", "NetworkActivity",
			func(t *testing.T, m map[string]any) { set(t, m, "src_endpoint.mac", "00:1a:2b:3c:4d") },
			[]want{{"src_endpoint.mac", KindValue}}},
		{"bad email", "APIActivity",
			func(t *testing.T, m map[string]any) { set(t, m, "actor.user.email_addr", "alice@") },
			[]want{{"actor.user.email_addr", KindValue}}},
		{"bad hostname", "DNSActivity",
			func(t *testing.T, m map[string]any) { set(t, m, "query.hostname", "mcp..example.com") },
			[]want{{"query.hostname", KindValue}}},
		{"bad subnet", "InventoryInfo",
			func(t *testing.T, m map[string]any) { set(t, m, "device.subnet", "10.0.0.0/33") },
			[]want{{"device.subnet", KindValue}}},

		// Enums.
		{"bad enum", "NetworkActivity",
			func(t *testing.T, m map[string]any) { set(t, m, "connection_info.direction_id", 7) },
			[]want{{"connection_info.direction_id", KindEnum}}},
		{"bad activity_id breaks type_uid too", "NetworkActivity",
			func(t *testing.T, m map[string]any) { set(t, m, "activity_id", 42) },
			[]want{{"activity_id", KindEnum}, {"type_uid", KindClass}}},
		{"bad enum in an array element", "NetworkActivity",
			func(t *testing.T, m map[string]any) { set(t, m, "observables[2].type_id", 1000) },
			[]want{{"observables[2].type_id", KindEnum}}},
		{"bad enum array value", "DNSActivity",
			func(t *testing.T, m map[string]any) { set(t, m, "answers[0].flag_ids", []any{1, 9}) },
			[]want{{"answers[0].flag_ids[1]", KindEnum}}},
		{"bad string enum", "APIActivity",
			func(t *testing.T, m map[string]any) { set(t, m, "http_request.http_method", "FETCH") },
			[]want{{"http_request.http_method", KindEnum}}},

		// Classification.
		{"bad type_uid arithmetic", "NetworkActivity",
			func(t *testing.T, m map[string]any) { set(t, m, "type_uid", 400105) },
			[]want{{"type_uid", KindClass}}},
		{"category_uid of another category", "NetworkActivity",
			func(t *testing.T, m map[string]any) { set(t, m, "category_uid", 3) },
			[]want{{"category_uid", KindClass}}},
		{"unknown class", "NetworkActivity",
			func(t *testing.T, m map[string]any) { set(t, m, "class_uid", 4999) },
			[]want{{"class_uid", KindClass}}},
		{"missing class_uid", "NetworkActivity",
			func(t *testing.T, m map[string]any) { del(t, m, "class_uid") },
			[]want{{"class_uid", KindRequired}}},
		{"class_uid not an integer", "NetworkActivity",
			func(t *testing.T, m map[string]any) { set(t, m, "class_uid", "4001") },
			[]want{{"class_uid", KindType}}},

		// Captions.
		{"wrong caption: class_name", "NetworkActivity",
			func(t *testing.T, m map[string]any) { set(t, m, "class_name", "DNS Activity") },
			[]want{{"class_name", KindCaption}}},
		{"wrong caption: category_name", "NetworkActivity",
			func(t *testing.T, m map[string]any) { set(t, m, "category_name", "Network") },
			[]want{{"category_name", KindCaption}}},
		{"wrong caption: activity_name", "NetworkActivity",
			func(t *testing.T, m map[string]any) { set(t, m, "activity_name", "traffic") },
			[]want{{"activity_name", KindCaption}}},
		{"wrong caption: type_name", "NetworkActivity",
			func(t *testing.T, m map[string]any) { set(t, m, "type_name", "Network Activity: Open") },
			[]want{{"type_name", KindCaption}}},
		{"wrong caption: severity", "NetworkActivity",
			func(t *testing.T, m map[string]any) { set(t, m, "severity", "High") },
			[]want{{"severity", KindCaption}}},
		{"wrong caption: nested", "NetworkActivity",
			func(t *testing.T, m map[string]any) { set(t, m, "observables[0].type", "Hostname") },
			[]want{{"observables[0].type", KindCaption}}},
		{"wrong caption: array sibling", "DNSActivity",
			func(t *testing.T, m map[string]any) { set(t, m, "answers[0].flags[1]", "Recursion Available") },
			[]want{{"answers[0].flags[1]", KindCaption}}},
		{"missing caption of an array sibling", "DNSActivity",
			func(t *testing.T, m map[string]any) { set(t, m, "answers[0].flags", []any{"Authoritative Answer"}) },
			[]want{{"answers[0].flags", KindCaption}}},
		{"99 Other lets captions carry the source value", "NetworkActivity",
			func(t *testing.T, m map[string]any) {
				set(t, m, "activity_id", 99)
				set(t, m, "activity_name", "Flow")
				set(t, m, "type_uid", 400199)
				set(t, m, "type_name", "Network Activity: Flow")
				set(t, m, "severity_id", 99)
				set(t, m, "severity", "Notice")
			},
			nil},

		// Unknown attributes and profiles.
		{"unknown attribute", "NetworkActivity",
			func(t *testing.T, m map[string]any) { set(t, m, "bogus", 1) },
			[]want{{"bogus", KindUnknown}}},
		{"unknown attribute of an object", "NetworkActivity",
			func(t *testing.T, m map[string]any) { set(t, m, "src_endpoint.bogus", "x") },
			[]want{{"src_endpoint.bogus", KindUnknown}}},
		{"unmapped holds anything", "NetworkActivity",
			func(t *testing.T, m map[string]any) {
				set(t, m, "unmapped", map[string]any{"a": map[string]any{"b": []any{1, nil, "c"}}})
			},
			nil},
		{"json_t holds anything", "APIActivity",
			func(t *testing.T, m map[string]any) { set(t, m, "api.request.data", map[string]any{"x": []any{1.5}}) },
			nil},
		{"attributes of an unlisted profile are unknown", "NetworkActivity",
			func(t *testing.T, m map[string]any) {
				set(t, m, "metadata.profiles", []any{"cloud", "security_control"})
			},
			[]want{{"end_time_dt", KindUnknown}, {"start_time_dt", KindUnknown}, {"time_dt", KindUnknown}}},
		{"a required attribute of an unlisted profile is not required", "AccountChange",
			func(t *testing.T, m map[string]any) {
				set(t, m, "metadata.profiles", []any{"datetime"})
				del(t, m, "cloud")
				del(t, m, "api")
			},
			nil},
		{"api of Account Change comes from the cloud profile", "AccountChange",
			func(t *testing.T, m map[string]any) {
				set(t, m, "metadata.profiles", []any{"datetime"})
				del(t, m, "cloud")
			},
			[]want{{"api", KindUnknown}}},
		{"api of API Activity is the class's own", "APIActivity",
			func(t *testing.T, m map[string]any) {
				set(t, m, "metadata.profiles", []any{"datetime"})
				del(t, m, "cloud")
				for _, r := range m["resources"].([]any) {
					delete(r.(map[string]any), "region")
					delete(r.(map[string]any), "cloud_partition")
				}
			},
			nil},
		{"a listed profile's required attribute is required", "NetworkActivity",
			func(t *testing.T, m map[string]any) { del(t, m, "cloud") },
			[]want{{"cloud", KindRequired}}},
		{"attributes of an object's own profile tag", "APIActivity",
			func(t *testing.T, m map[string]any) {
				set(t, m, "metadata.profiles", []any{"datetime"})
				del(t, m, "cloud")
			},
			[]want{{"resources[0].cloud_partition", KindUnknown}, {"resources[0].region", KindUnknown}}},
		{"a profile attribute of an object, profile unlisted", "APIActivity",
			func(t *testing.T, m map[string]any) {
				set(t, m, "metadata.profiles", []any{"cloud"})
				set(t, m, "actor.session.created_time_dt", "2025-03-14T15:09:26Z")
			},
			[]want{{"actor.session.created_time_dt", KindUnknown}, {"time_dt", KindUnknown}}},
		{"unknown profile", "NetworkActivity",
			func(t *testing.T, m map[string]any) {
				set(t, m, "metadata.profiles", []any{"cloud", "datetime", "security_control", "linux"})
			},
			[]want{{"metadata.profiles[3]", KindProfile}}},

		// Constraints.
		{"violated at_least_one of an object", "NetworkActivity",
			func(t *testing.T, m map[string]any) { set(t, m, "src_endpoint", map[string]any{"port": 50432}) },
			[]want{{"src_endpoint", KindConstraint}}},
		{"violated at_least_one of a class", "Authentication",
			func(t *testing.T, m map[string]any) { del(t, m, "service"); del(t, m, "dst_endpoint") },
			[]want{{"", KindConstraint}}},
		{"just_one satisfied", "AuthorizeSession", func(*testing.T, map[string]any) {}, nil},
		{"violated just_one: both", "AuthorizeSession",
			func(t *testing.T, m map[string]any) { m["group"] = map[string]any{"name": "admins"} },
			[]want{{"", KindConstraint}}},
		{"violated just_one: none", "AuthorizeSession",
			func(t *testing.T, m map[string]any) { del(t, m, "privileges") },
			[]want{{"", KindConstraint}}},

		// Version and observables.
		{"version of another schema", "NetworkActivity",
			func(t *testing.T, m map[string]any) { set(t, m, "metadata.version", "1.0.0-rc.2") },
			[]want{{"metadata.version", KindVersion}}},
		{"observable names no attribute", "NetworkActivity",
			func(t *testing.T, m map[string]any) { set(t, m, "observables[0].name", "src_endpoint.address") },
			[]want{{"observables[0].name", KindReference}}},
		{"observable names an attribute of an unlisted profile", "NetworkActivity",
			func(t *testing.T, m map[string]any) {
				set(t, m, "metadata.profiles", []any{"datetime", "security_control"})
				del(t, m, "cloud")
				set(t, m, "observables[0].name", "cloud.region")
			},
			[]want{{"observables[0].name", KindReference}}},
		{"several problems, sorted by path", "NetworkActivity",
			func(t *testing.T, m map[string]any) {
				var list []any
				for range 11 {
					list = append(list, map[string]any{"name": "src_endpoint.ip", "type_id": 2, "value": "10.0.1.25"})
				}
				m["observables"] = list
				set(t, m, "src_endpoint.port", -1)
				set(t, m, "observables[10].type_id", 1000)
				set(t, m, "observables[2].type_id", 1000)
				set(t, m, "action_id", 3)
			},
			[]want{{"action_id", KindEnum}, {"observables[2].type_id", KindEnum},
				{"observables[10].type_id", KindEnum}, {"src_endpoint.port", KindValue}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var m map[string]any
			if tt.class == "AuthorizeSession" {
				m = authorizeSession(t)
			} else {
				m = toMap(t, valid[tt.class])
			}
			tt.mutate(t, m)
			errs := s.Validate(m)
			var got []want
			for _, e := range errs {
				got = append(got, want{e.Path, e.Kind})
				if e.Msg == "" || !strings.HasPrefix(e.Error(), e.Path) {
					t.Errorf("badly formatted error %q", e.Error())
				}
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("got errors %v, want %v\n%v", got, tt.want, Errors(errs))
			}
		})
	}
}

// TestValidateCyclicMap checks that a map that contains itself, which Go can build but JSON
// cannot, is an error rather than a stack overflow.
func TestValidateCyclicMap(t *testing.T) {
	m := toMap(t, validEvents()["InventoryInfo"])
	proc := m["actor"].(map[string]any)["process"].(map[string]any)
	proc["parent_process"] = proc
	errs := mustDefault(t).Validate(m)
	if len(errs) == 0 {
		t.Fatal("no error")
	}
	for _, e := range errs {
		if e.Kind != KindValue || !strings.HasPrefix(e.Path, "actor.process.parent_process.parent_process") ||
			!strings.Contains(e.Msg, "nested more than 256 deep") {
			t.Errorf("error %v [%s], want a nesting error", e.Msg, e.Kind)
		}
	}
}

func TestValidateReturnsErrors(t *testing.T) {
	event := validEvents()["NetworkActivity"].(*ocsf.NetworkActivity)
	bad := *event
	bad.SrcEndpoint.IP = "not-an-ip"
	bad.TypeUID = 400101
	err := Validate(&bad)
	var es Errors
	if !errors.As(err, &es) || len(es) != 2 {
		t.Fatalf("Validate = %v, want 2 errors", err)
	}
	var first Error
	if !errors.As(err, &first) || first.Path != "src_endpoint.ip" || first.Kind != KindValue {
		t.Errorf("first error = %+v, want src_endpoint.ip [value]", first)
	}
	wantText := `src_endpoint.ip: "not-an-ip" is not an IPv4 or IPv6 address (ip_t)` + "\n" +
		"type_uid: 400101 is not class_uid 4001 * 100 + activity_id 6 = 400106"
	if err.Error() != wantText {
		t.Errorf("Error() =\n%s\nwant\n%s", err, wantText)
	}
	if err := Validate(make(chan int)); err == nil || errors.As(err, &es) {
		t.Errorf("Validate(chan) = %v, want a marshal error", err)
	}
	if err := Validate([]int{1}); !errors.As(err, &es) || es[0].Kind != KindSyntax {
		t.Errorf("Validate([]int) = %v, want a syntax error", err)
	}
}

// TestGoTablesAgreeWithSchema checks the captions package ocsf writes against the schema's
// enums.
func TestGoTablesAgreeWithSchema(t *testing.T) {
	s := mustDefault(t)
	enumOf := func(d *def, path ...string) enumValues {
		t.Helper()
		for i, name := range path {
			a := d.attrs[name]
			if a == nil {
				t.Fatalf("no attribute %v", path[:i+1])
			}
			if i == len(path)-1 {
				return a.enum
			}
			d = &a.object.def
		}
		return nil
	}
	check := func(what string, enum enumValues, caption func(int32) string) {
		t.Helper()
		if len(enum) == 0 {
			t.Fatalf("%s: no enum", what)
		}
		for k, want := range enum {
			id, _ := strconv.Atoi(k)
			if got := caption(int32(id)); got != want {
				t.Errorf("%s %d: package ocsf says %q, the schema %q", what, id, got, want)
			}
		}
	}
	for _, uid := range []int32{ocsf.ClassNetworkActivity, ocsf.ClassDNSActivity, ocsf.ClassAPIActivity,
		ocsf.ClassAuthentication, ocsf.ClassAccountChange, ocsf.ClassInventoryInfo, ocsf.ClassDetectionFinding} {
		c := s.classes[int64(uid)]
		if c == nil {
			t.Fatalf("no class %d", uid)
		}
		if got := ocsf.ClassName(uid); got != c.caption {
			t.Errorf("class %d: package ocsf says %q, the schema %q", uid, got, c.caption)
		}
		var b ocsf.Base
		b.Classify(uid, 1)
		if int64(b.CategoryUID) != c.categoryUID || b.CategoryName != c.category {
			t.Errorf("class %d: package ocsf says category %d %q, the schema %d %q",
				uid, b.CategoryUID, b.CategoryName, c.categoryUID, c.category)
		}
		check(fmt.Sprintf("class %d activity_id", uid), enumOf(&c.def, "activity_id"),
			func(id int32) string { return ocsf.ActivityName(uid, id) })
		check(fmt.Sprintf("class %d severity_id", uid), enumOf(&c.def, "severity_id"), ocsf.SeverityName)
	}
	finding := &s.classes[ocsf.ClassDetectionFinding].def
	check("finding status_id", enumOf(finding, "status_id"), ocsf.FindingStatusName)
	check("finding confidence_id", enumOf(finding, "confidence_id"), ocsf.ConfidenceName)
	check("analytic type_id", enumOf(finding, "finding_info", "analytic", "type_id"), ocsf.AnalyticTypeName)

	// Observable types: package ocsf's constants must be OCSF 1.1.0 observable types with the
	// schema's caption. Port (11) and Command Line (13) came with later OCSF versions: they
	// must stay out of package ocsf and out of what it emits.
	observable := enumOf(finding, "observables", "type_id")
	for _, id := range []int32{ocsf.ObservableHostname, ocsf.ObservableIP, ocsf.ObservableMAC,
		ocsf.ObservableUserName, ocsf.ObservableURL, ocsf.ObservableProcessName, ocsf.ObservableResourceUID,
		ocsf.ObservableOther} {
		want, ok := observable[strconv.Itoa(int(id))]
		if !ok {
			t.Errorf("observable type %d of package ocsf is not in OCSF 1.1.0", id)
			continue
		}
		if got := ocsf.NewObservable("x", id, "v").Type; got != want {
			t.Errorf("observable type %d: package ocsf says %q, the schema %q", id, got, want)
		}
	}
	for _, id := range []int32{11, 13} {
		if want, ok := observable[strconv.Itoa(int(id))]; ok {
			t.Errorf("observable type %d is now in the schema (%s): package ocsf may use it", id, want)
		}
		err := Validate(&ocsf.NetworkActivity{Base: ocsf.Base{Observables: []ocsf.Observable{
			{Name: "src_endpoint.port", TypeID: id, Value: "443"}}}})
		if !strings.Contains(err.Error(), "observables[0].type_id: "+strconv.Itoa(int(id))+" is not a value") {
			t.Errorf("observable type %d: want an enum error, got\n%v", id, err)
		}
	}
}
