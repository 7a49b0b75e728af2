package schema

import (
	"maps"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
)

func TestLoad(t *testing.T) {
	if got, want := Versions(), []string{Version100RC2, Version110}; !slices.Equal(got, want) {
		t.Errorf("Versions() = %v, want %v", got, want)
	}
	for _, ver := range Versions() {
		s, err := Load(ver)
		if err != nil {
			t.Fatalf("Load(%s): %v", ver, err)
		}
		if s.Version() != ver {
			t.Errorf("Load(%s).Version() = %s", ver, s.Version())
		}
		again, _ := Load(ver)
		if again != s {
			t.Errorf("Load(%s) compiled twice", ver)
		}
	}
	if s, _ := Default(); s == nil || s.Version() != Version110 {
		t.Errorf("Default() = %v, want 1.1.0", s)
	}
	if _, err := Load("1.5.0"); err == nil || !strings.Contains(err.Error(), "1.0.0-rc.2, 1.1.0") {
		t.Errorf("Load(1.5.0) = %v, want an error naming the embedded versions", err)
	}
}

func TestClasses(t *testing.T) {
	tests := []struct {
		version  string
		uid      int64
		caption  string
		category string
		activity map[int64]string // some activities
	}{
		{Version110, 0, "Base Event", "Uncategorized", map[int64]string{0: "Unknown", 99: "Other"}},
		{Version110, 4001, "Network Activity", "Network Activity", map[int64]string{0: "Unknown", 6: "Traffic", 99: "Other"}},
		{Version110, 4003, "DNS Activity", "Network Activity", map[int64]string{1: "Query", 2: "Response", 6: "Traffic"}},
		{Version110, 6003, "API Activity", "Application Activity", map[int64]string{2: "Read"}},
		{Version110, 3002, "Authentication", "Identity & Access Management", map[int64]string{1: "Logon"}},
		{Version110, 3001, "Account Change", "Identity & Access Management", map[int64]string{7: "Attach Policy"}},
		{Version110, 2004, "Detection Finding", "Findings", map[int64]string{1: "Create", 3: "Close"}},
		{Version110, 5001, "Device Inventory Info", "Discovery", map[int64]string{2: "Collect"}},
		// 1.0.0-rc.2: activities come from enums/*.json through an attribute's $include.
		{Version100RC2, 4001, "Network Activity", "Network Activity", map[int64]string{0: "Unknown", 1: "Open", 99: "Other"}},
		{Version100RC2, 3005, "API Activity", "Audit Activity", map[int64]string{4: "Delete"}},
		{Version100RC2, 2001, "Security Finding", "Findings", map[int64]string{1: "Generate"}},
	}
	for _, tt := range tests {
		s, err := Load(tt.version)
		if err != nil {
			t.Fatal(err)
		}
		c := s.classes[tt.uid]
		if c == nil {
			t.Errorf("%s: no class %d", tt.version, tt.uid)
			continue
		}
		if c.caption != tt.caption || c.category != tt.category || s.ClassName(tt.uid) != tt.caption {
			t.Errorf("%s class %d: %q in %q, want %q in %q", tt.version, tt.uid, c.caption, c.category, tt.caption, tt.category)
		}
		for id, caption := range tt.activity {
			if c.activities[id] != caption {
				t.Errorf("%s class %d activity %d = %q, want %q", tt.version, tt.uid, id, c.activities[id], caption)
			}
		}
	}
	// Network Activity has exactly the default network activities and Unknown and Other.
	s := mustDefault(t)
	if got := slices.Sorted(maps.Keys(s.classes[4001].activities)); !slices.Equal(got, []int64{0, 1, 2, 3, 4, 5, 6, 99}) {
		t.Errorf("4001 activities = %v", got)
	}
	// Category base classes such as network are not event classes.
	for _, uid := range s.ClassUIDs() {
		if uid%1000 == 0 && uid != 0 {
			t.Errorf("class uid %d is a category", uid)
		}
	}
}

// attr finds a compiled attribute by a dotted path from a class ("4001") or object name.
func attr(t *testing.T, s *Schema, from, path string) *attribute {
	t.Helper()
	var d *def
	if o := s.objects[from]; o != nil {
		d = &o.def
	} else {
		for _, uid := range s.ClassUIDs() {
			if s.classes[uid].name == from {
				d = &s.classes[uid].def
			}
		}
	}
	if d == nil {
		t.Fatalf("no class or object %s", from)
	}
	var a *attribute
	for _, name := range strings.Split(path, ".") {
		if a != nil {
			d = &a.object.def
		}
		if a = d.attrs[name]; a == nil {
			t.Fatalf("%s has no attribute %s", from, path)
		}
	}
	return a
}

func TestAttributes(t *testing.T) {
	tests := []struct {
		version, from, path string
		requirement         requirement
		typ                 string // data type or object name
		isArray             bool
		profile             string
	}{
		// Requirements from base_event, the category class and the class; a child overrides.
		{Version110, "network_activity", "time", required, "timestamp_t", false, ""},
		{Version110, "network_activity", "dst_endpoint", required, "network_endpoint", false, ""},
		{Version110, "dns_activity", "dst_endpoint", recommended, "network_endpoint", false, ""},
		{Version110, "network_activity", "observables", optional, "observable", true, ""},
		{Version110, "network_activity", "unmapped", optional, "object", false, ""},
		// Profiles: an included profile tags its attributes; "profile": null clears the tag.
		{Version110, "network_activity", "cloud", required, "cloud", false, "cloud"},
		{Version110, "network_activity", "action_id", required, "integer_t", false, "security_control"},
		{Version110, "network_activity", "device", recommended, "device", false, "host"},
		{Version110, "detection_finding", "device", optional, "device", false, "host"},
		{Version110, "inventory_info", "device", required, "device", false, ""},
		{Version110, "api_activity", "api", required, "api", false, ""},
		{Version110, "account_change", "api", optional, "api", false, "cloud"},
		{Version110, "account_change", "actor", recommended, "actor", false, ""},
		{Version110, "resource_details", "region", optional, "string_t", false, "cloud"},
		{Version110, "process", "container", recommended, "container", false, "container"},
		// The datetime profile: a *_dt twin of every timestamp_t, in classes and objects.
		{Version110, "network_activity", "time_dt", optional, "datetime_t", false, "datetime"},
		{Version110, "session", "created_time_dt", optional, "datetime_t", false, "datetime"},
		// Types from the dictionary, or the object's override.
		{Version110, "network_endpoint", "port", recommended, "port_t", false, ""},
		{Version110, "network_endpoint", "ip", recommended, "ip_t", false, ""},
		{Version110, "user", "name", recommended, "username_t", false, ""},
		{Version110, "process", "parent_process", recommended, "process", false, ""},
		{Version110, "dns_answer", "flag_ids", optional, "integer_t", true, ""},
		{Version100RC2, "network_activity", "dst_endpoint", required, "network_endpoint", false, ""},
		{Version100RC2, "network_activity", "time_dt", optional, "datetime_t", false, "datetime"},
	}
	for _, tt := range tests {
		s, err := Load(tt.version)
		if err != nil {
			t.Fatal(err)
		}
		a := attr(t, s, tt.from, tt.path)
		if a.requirement != tt.requirement || a.typeName() != tt.typ || a.isArray != tt.isArray || a.profile != tt.profile {
			t.Errorf("%s %s.%s: requirement %d type %s array %v profile %q, want %d %s %v %q", tt.version, tt.from, tt.path,
				a.requirement, a.typeName(), a.isArray, a.profile, tt.requirement, tt.typ, tt.isArray, tt.profile)
		}
	}

	s := mustDefault(t)
	// Objects refer to objects, recursively.
	if p := attr(t, s, "process", "parent_process"); p.object != s.objects["process"] {
		t.Error("process.parent_process is not the process object")
	}
	// "object", the type of unmapped, allows anything.
	if !s.objects["object"].open || s.objects["network_endpoint"].open {
		t.Error("only object is open")
	}
	// Constraints: inherited, or replaced by an empty set (file overrides _entity's).
	if got := s.objects["network_endpoint"].atLeastOne.String(); got != "ip, uid, name, hostname, svc_name, instance_uid, interface_uid, interface_name" {
		t.Errorf("network_endpoint at_least_one = %v", got)
	}
	if got := s.objects["file"].atLeastOne; got != nil {
		t.Errorf("file at_least_one = %v, want none", got)
	}
	if got := s.objects["device"].atLeastOne.String(); !strings.Contains(got, "ip") {
		t.Errorf("device at_least_one (from endpoint) = %v", got)
	}
	if got := s.classes[5004].atLeastOne; got == nil || len(got.paths[0]) != 3 {
		t.Errorf("patch_state at_least_one = %v, want paths like device.os.sp_name", got)
	}
	// Enums merge the dictionary's and the class's values; observable.type_id gets the
	// schema's observable types.
	if e := attr(t, s, "observable", "type_id").enum; e["2"] != "IP Address" || e["20"] != "Endpoint" || e["99"] != "Other" || e["11"] != "" {
		t.Errorf("observable.type_id enum = %v", e)
	}
	if e := attr(t, s, "network_activity", "action_id").enum; len(e) != 4 || e["2"] != "Denied" {
		t.Errorf("action_id enum = %v", e)
	}
	if e := attr(t, s, "http_request", "http_method").enum; e["GET"] == "" {
		t.Errorf("http_method enum = %v", e)
	}
	if got := s.Profiles(); !slices.Equal(got, []string{"cloud", "container", "datetime", "host", "load_balancer", "network_proxy", "security_control"}) {
		t.Errorf("Profiles() = %v", got)
	}
}

func TestCompileErrors(t *testing.T) {
	good := fstest.MapFS{
		"version.json":           {Data: []byte(`{"version":"9.9.9"}`)},
		"categories.json":        {Data: []byte(`{"attributes":{"network":{"uid":4,"caption":"Network"}}}`)},
		"dictionary.json":        {Data: []byte(`{"attributes":{"class_uid":{"type":"integer_t"},"name":{"type":"string_t"},"time":{"type":"timestamp_t"},"thing":{"type":"thing"}},"types":{"attributes":{"integer_t":{},"string_t":{},"long_t":{},"timestamp_t":{"type":"long_t"},"datetime_t":{"type":"string_t"}}}}`)},
		"objects/thing.json":     {Data: []byte(`{"name":"thing","attributes":{"name":{"requirement":"required"}}}`)},
		"events/base_event.json": {Data: []byte(`{"name":"base_event","category":"other","attributes":{"class_uid":{"requirement":"required"},"time":{}}}`)},
		"events/net.json":        {Data: []byte(`{"name":"net","uid":1,"category":"network","extends":"base_event","attributes":{"thing":{"requirement":"required"}}}`)},
		"profiles/p.json":        {Data: []byte(`{"name":"p","meta":"profile","attributes":{}}`)},
	}
	s, err := Compile(good)
	if err != nil {
		t.Fatalf("Compile(good) = %v", err)
	}
	if errs := s.Validate(map[string]any{"class_uid": 4001, "time": 1, "thing": map[string]any{"name": "x"}}); errs != nil {
		t.Errorf("Validate = %v", errs)
	}
	if errs := s.Validate(map[string]any{"class_uid": 4001, "time": 1, "thing": map[string]any{}}); len(errs) != 1 || errs[0].Path != "thing.name" {
		t.Errorf("Validate = %v, want thing.name missing", errs)
	}
	tests := []struct {
		name, file, data, want string
	}{
		{"no version", "version.json", `{}`, "no version"},
		{"bad JSON", "events/net.json", `{"name":`, "events/net.json"},
		{"undefined parent", "events/net.json", `{"name":"net","uid":1,"extends":"nope","attributes":{}}`, "extends undefined nope"},
		{"extends cycle", "objects/thing.json", `{"name":"thing","extends":"thing","attributes":{}}`, "cycle"},
		{"attribute not in the dictionary", "objects/thing.json", `{"name":"thing","attributes":{"nope":{}}}`, "nope is not in the dictionary"},
		{"undefined type", "dictionary.json", `{"attributes":{"class_uid":{"type":"integer_t"},"name":{"type":"nope_t"},"time":{"type":"integer_t"},"thing":{"type":"thing"}},"types":{"attributes":{"integer_t":{}}}}`, `undefined type "nope_t"`},
		{"missing include", "events/net.json", `{"name":"net","uid":1,"attributes":{"$include":"includes/nope.json"}}`, "includes/nope.json"},
		{"include cycle", "events/net.json", `{"name":"net","uid":1,"attributes":{"$include":"events/net.json"}}`, "nested more than"},
		{"unknown constraint", "objects/thing.json", `{"name":"thing","constraints":{"most":["name"]},"attributes":{"name":{}}}`, `unknown constraint "most"`},
		{"no name", "profiles/p.json", `{"meta":"profile","attributes":{}}`, "no name"},
		{"duplicate class uid", "events/net2.json", `{"name":"net2","uid":1,"category":"network","attributes":{}}`, "same class uid 4001"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fsys := maps.Clone(good)
			fsys[tt.file] = &fstest.MapFile{Data: []byte(tt.data)}
			_, err := Compile(fsys)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Compile = %v, want an error with %q", err, tt.want)
			}
		})
	}
}
