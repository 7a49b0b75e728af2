package schema

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"math"
	"path"
	"slices"
	"strconv"
	"strings"
)

// maxIncludeDepth bounds nested "$include" directives, so that a cycle fails to compile
// instead of recursing forever.
const maxIncludeDepth = 8

// Compile compiles an OCSF schema from its source tree. The root of fsys holds version.json,
// dictionary.json, categories.json and the events, objects, includes and profiles
// directories, as in github.com/ocsf/ocsf-schema (plus enums for 1.0.0-rc.2). The extensions
// directory, if any, is ignored.
func Compile(fsys fs.FS) (*Schema, error) {
	c := &compiler{fsys: fsys, files: make(map[string]map[string]any)}
	s, err := c.compile()
	if err != nil {
		return nil, fmt.Errorf("compile OCSF schema: %w", err)
	}
	return s, nil
}

// compiler holds the state of one compilation. Raw definitions are JSON maps that are never
// modified once read: every merge builds new maps.
type compiler struct {
	fsys    fs.FS
	files   map[string]map[string]any // parsed files by path
	dict    map[string]any            // dictionary attributes by name
	types   map[string]*dataType
	objects map[string]*object
}

type category struct {
	uid     int64
	caption string
}

func (c *compiler) compile() (*Schema, error) {
	ver, err := c.read("version.json")
	if err != nil {
		return nil, err
	}
	s := &Schema{
		classes:    make(map[int64]*class),
		profiles:   make(map[string]bool),
		categories: make(map[int64]string),
	}
	s.version, _ = ver["version"].(string)
	if s.version == "" {
		return nil, fmt.Errorf("version.json: no version")
	}

	dictionary, err := c.read("dictionary.json")
	if err != nil {
		return nil, err
	}
	c.dict = mapAt(dictionary, "attributes")
	if c.types, err = compileTypes(mapAt(dictionary, "types", "attributes")); err != nil {
		return nil, err
	}

	cats, err := c.read("categories.json")
	if err != nil {
		return nil, err
	}
	categories := make(map[string]category)
	for name, v := range mapAt(cats, "attributes") {
		m, _ := v.(map[string]any)
		uid, ok := intOf(m["uid"])
		if !ok {
			return nil, fmt.Errorf("categories.json: category %s has no uid", name)
		}
		caption, _ := m["caption"].(string)
		categories[name] = category{uid, caption}
		s.categories[uid] = caption
	}

	profiles, err := c.readDir("profiles")
	if err != nil {
		return nil, err
	}
	for name := range profiles {
		s.profiles[name] = true
	}

	rawObjects, err := c.readDir("objects")
	if err != nil {
		return nil, err
	}
	rawEvents, err := c.readDir("events")
	if err != nil {
		return nil, err
	}
	objects, err := resolveAll("object", rawObjects)
	if err != nil {
		return nil, err
	}
	events, err := resolveAll("event", rawEvents)
	if err != nil {
		return nil, err
	}

	// Objects first, as empty shells, so that attributes can refer to any object, including
	// objects that refer back to themselves (process.parent_process).
	c.objects = make(map[string]*object, len(objects))
	for name := range objects {
		c.objects[name] = &object{}
	}
	for name, raw := range objects {
		if err := c.buildDef(&c.objects[name].def, "object", name, raw); err != nil {
			return nil, err
		}
	}
	if err := c.addObservableTypes(rawObjects, rawEvents); err != nil {
		return nil, err
	}

	for name, raw := range events {
		uid, hasUID := intOf(raw["uid"])
		if !hasUID && name != "base_event" {
			continue // a category's base class such as network: not an event class itself
		}
		cl := &class{}
		if err := c.buildDef(&cl.def, "event", name, raw); err != nil {
			return nil, err
		}
		catName, _ := raw["category"].(string)
		if cat, ok := categories[catName]; ok {
			cl.categoryUID, cl.category = cat.uid, cat.caption
		} else if a := cl.attrs["category_uid"]; a != nil {
			cl.category = a.enum["0"] // base_event: "Uncategorized"
		}
		cl.uid = cl.categoryUID*1000 + uid
		if a := cl.attrs["activity_id"]; a != nil && a.enum != nil {
			cl.activities = make(map[int64]string, len(a.enum))
			for k, caption := range a.enum {
				if id, err := strconv.ParseInt(k, 10, 64); err == nil {
					cl.activities[id] = caption
				}
			}
		}
		// The uid attributes are checked against the class itself, not against the generic
		// enums of includes/classification.json.
		for _, n := range []string{"class_uid", "category_uid", "type_uid"} {
			if a := cl.attrs[n]; a != nil {
				a.enum = nil
			}
		}
		if prev := s.classes[cl.uid]; prev != nil {
			return nil, fmt.Errorf("events %s and %s have the same class uid %d", prev.name, name, cl.uid)
		}
		s.classes[cl.uid] = cl
	}
	if len(s.classes) == 0 {
		return nil, fmt.Errorf("no event classes")
	}
	s.objects = c.objects
	return s, nil
}

// read parses a JSON file of the schema, once.
func (c *compiler) read(name string) (map[string]any, error) {
	if m, ok := c.files[name]; ok {
		return m, nil
	}
	b, err := fs.ReadFile(c.fsys, name)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	c.files[name] = m
	return m, nil
}

// readDir reads every JSON definition under dir, resolves its includes and returns them by
// name.
func (c *compiler) readDir(dir string) (map[string]map[string]any, error) {
	out := make(map[string]map[string]any)
	err := fs.WalkDir(c.fsys, dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || path.Ext(p) != ".json" {
			return err
		}
		raw, err := c.read(p)
		if err != nil {
			return err
		}
		name, _ := raw["name"].(string)
		if name == "" {
			return fmt.Errorf("%s: no name", p)
		}
		if _, dup := out[name]; dup {
			return fmt.Errorf("%s: %s is defined twice", p, name)
		}
		if out[name], err = c.resolveIncludes(p, raw, 0); err != nil {
			return err
		}
		return nil
	})
	return out, err
}

// resolveIncludes returns raw with the "$include" directives of its attributes applied: an
// included file's attributes are merged under raw's own (earlier includes win over later
// ones), and an attribute's own "$include" (the enum files of 1.0.0-rc.2) is merged under
// that attribute.
func (c *compiler) resolveIncludes(file string, raw map[string]any, depth int) (map[string]any, error) {
	attrs, _ := raw["attributes"].(map[string]any)
	if attrs == nil {
		return raw, nil
	}
	if depth > maxIncludeDepth {
		return nil, fmt.Errorf("%s: $include nested more than %d deep", file, maxIncludeDepth)
	}
	includes, err := stringList(attrs["$include"])
	if err != nil {
		return nil, fmt.Errorf("%s: $include: %w", file, err)
	}
	own := without(attrs, "$include")
	for _, inc := range includes {
		included, err := c.included(inc, depth+1)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", file, err)
		}
		own = deepMerge(included, own)
	}
	for name, v := range own {
		a, _ := v.(map[string]any)
		if a == nil || a["$include"] == nil {
			continue
		}
		files, err := stringList(a["$include"])
		if err != nil {
			return nil, fmt.Errorf("%s: attribute %s: $include: %w", file, name, err)
		}
		merged := without(a, "$include")
		for _, f := range files {
			inc, err := c.read(f)
			if err != nil {
				return nil, fmt.Errorf("%s: attribute %s: %w", file, name, err)
			}
			merged = deepMerge(inc, merged)
		}
		own[name] = merged
	}
	out := without(raw, "attributes")
	out["attributes"] = own
	return out, nil
}

// included returns the attributes of an included file, tagged with the file's profile when
// the file is a profile.
func (c *compiler) included(name string, depth int) (map[string]any, error) {
	raw, err := c.read(name)
	if err != nil {
		return nil, err
	}
	if raw, err = c.resolveIncludes(name, raw, depth); err != nil {
		return nil, err
	}
	attrs, _ := raw["attributes"].(map[string]any)
	if meta, _ := raw["meta"].(string); meta != "profile" {
		return attrs, nil
	}
	profile, _ := raw["name"].(string)
	tagged := make(map[string]any, len(attrs))
	for k, v := range attrs {
		if a, ok := v.(map[string]any); ok {
			a = without(a)
			a["profile"] = profile
			v = a
		}
		tagged[k] = v
	}
	return tagged, nil
}

// resolveAll resolves the "extends" chain of every definition.
func resolveAll(kind string, raws map[string]map[string]any) (map[string]map[string]any, error) {
	done := make(map[string]map[string]any, len(raws))
	var resolve func(name string, depth int) (map[string]any, error)
	resolve = func(name string, depth int) (map[string]any, error) {
		if r, ok := done[name]; ok {
			return r, nil
		}
		raw := raws[name]
		parent, _ := raw["extends"].(string)
		if parent == "" {
			done[name] = raw
			return raw, nil
		}
		if _, ok := raws[parent]; !ok {
			return nil, fmt.Errorf("%s %s extends undefined %s", kind, name, parent)
		}
		if depth > len(raws) {
			return nil, fmt.Errorf("%s %s: extends cycle", kind, name)
		}
		base, err := resolve(parent, depth+1)
		if err != nil {
			return nil, err
		}
		merged := without(base)
		for k, v := range raw {
			switch k {
			case "attributes":
				child, _ := v.(map[string]any)
				attrs := deepMerge(mapAt(base, "attributes"), child)
				for an, av := range attrs {
					if av == nil { // "attr": null removes an inherited attribute
						delete(attrs, an)
					}
				}
				merged[k] = attrs
			case "profiles":
				p1, _ := stringList(base[k])
				p2, _ := stringList(v)
				merged[k] = anyList(slices.Compact(slices.Sorted(slices.Values(append(p1, p2...)))))
			default:
				merged[k] = v
			}
		}
		done[name] = merged
		return merged, nil
	}
	for name := range raws {
		if _, err := resolve(name, 0); err != nil {
			return nil, err
		}
	}
	return done, nil
}

// buildDef compiles the attributes and constraints of a resolved definition into d.
func (c *compiler) buildDef(d *def, kind, name string, raw map[string]any) error {
	d.name = name
	d.caption, _ = raw["caption"].(string)
	attrs := mapAt(raw, "attributes")
	d.attrs = make(map[string]*attribute, len(attrs))
	for an, av := range attrs {
		if av == nil {
			continue // removed
		}
		am, ok := av.(map[string]any)
		if !ok {
			return fmt.Errorf("%s %s: attribute %s is not an object", kind, name, an)
		}
		a, err := c.buildAttr(an, am)
		if err != nil {
			return fmt.Errorf("%s %s: %w", kind, name, err)
		}
		d.attrs[an] = a
	}
	// The datetime profile: every timestamp_t attribute has a datetime_t twin named <name>_dt.
	if dt := c.types["datetime_t"]; dt != nil {
		var twins []*attribute
		for an, a := range d.attrs {
			dictAttr, _ := c.dict[an].(map[string]any)
			if t, _ := dictAttr["type"].(string); t == "timestamp_t" && d.attrs[an+"_dt"] == nil {
				twins = append(twins, &attribute{name: an + "_dt", typ: dt, profile: "datetime", isArray: a.isArray})
			}
		}
		for _, a := range twins {
			d.attrs[a.name] = a
		}
	}
	d.open = len(d.attrs) == 0
	if err := d.setConstraints(mapAt(raw, "constraints")); err != nil {
		return fmt.Errorf("%s %s: %w", kind, name, err)
	}
	for _, a := range d.attrs {
		if a.requirement == required {
			d.required = append(d.required, a)
		}
	}
	slices.SortFunc(d.required, func(a, b *attribute) int { return strings.Compare(a.name, b.name) })
	return nil
}

// buildAttr compiles one attribute of a class or object, merged onto its dictionary entry.
func (c *compiler) buildAttr(name string, raw map[string]any) (*attribute, error) {
	dictAttr, ok := c.dict[name].(map[string]any)
	if !ok {
		return nil, fmt.Errorf("attribute %s is not in the dictionary", name)
	}
	m := deepMerge(dictAttr, raw)
	a := &attribute{name: name}
	switch r, _ := m["requirement"].(string); r {
	case "required":
		a.requirement = required
	case "recommended":
		a.requirement = recommended
	}
	a.isArray, _ = m["is_array"].(bool)
	a.profile, _ = m["profile"].(string)
	a.sibling, _ = m["sibling"].(string)
	typ, _ := m["type"].(string)
	if t := c.types[typ]; t != nil {
		a.typ = t
	} else if o := c.objects[typ]; o != nil {
		a.object = o
	} else {
		return nil, fmt.Errorf("attribute %s has undefined type %q", name, typ)
	}
	if enum, ok := m["enum"].(map[string]any); ok && len(enum) > 0 {
		a.enum = make(enumValues, len(enum))
		for k, v := range enum {
			ev, _ := v.(map[string]any)
			caption, _ := ev["caption"].(string)
			a.enum[k] = caption
		}
	}
	return a, nil
}

// setConstraints compiles an object's or class's constraints.
func (d *def) setConstraints(m map[string]any) error {
	for k, v := range m {
		paths, err := stringList(v)
		if err != nil {
			return fmt.Errorf("constraint %s: %w", k, err)
		}
		if len(paths) == 0 {
			continue
		}
		c := &constraint{text: strings.Join(paths, ", ")}
		for _, p := range paths {
			c.paths = append(c.paths, strings.Split(p, "."))
		}
		switch k {
		case "at_least_one":
			d.atLeastOne = c
		case "just_one":
			d.justOne = c
		default:
			return fmt.Errorf("unknown constraint %q", k)
		}
	}
	return nil
}

// addObservableTypes completes the observable.type_id enum, which the schema files hold only
// as 0 and 99, with the observable numbers that dictionary types, dictionary attributes,
// objects and class attributes declare, as the OCSF server does.
func (c *compiler) addObservableTypes(rawObjects, rawEvents map[string]map[string]any) error {
	obs := c.objects["observable"]
	if obs == nil {
		return nil
	}
	typeID := obs.attrs["type_id"]
	if typeID == nil {
		return fmt.Errorf("object observable has no type_id")
	}
	enum := make(enumValues)
	add := func(v any, caption string) {
		if id, ok := intOf(v); ok {
			if _, dup := enum[strconv.FormatInt(id, 10)]; !dup {
				enum[strconv.FormatInt(id, 10)] = caption
			}
		}
	}
	for _, name := range sortedKeys(c.types) {
		dictType, _ := c.dictType(name)
		caption, _ := dictType["caption"].(string)
		add(dictType["observable"], caption)
	}
	for _, name := range sortedKeys(c.dict) {
		a, _ := c.dict[name].(map[string]any)
		caption, _ := a["caption"].(string)
		add(a["observable"], caption)
	}
	for _, name := range sortedKeys(rawObjects) {
		caption, _ := rawObjects[name]["caption"].(string)
		add(rawObjects[name]["observable"], caption)
	}
	for _, raws := range []map[string]map[string]any{rawObjects, rawEvents} {
		for _, name := range sortedKeys(raws) {
			caption, _ := raws[name]["caption"].(string)
			attrs := mapAt(raws[name], "attributes")
			for _, an := range sortedKeys(attrs) {
				a, _ := attrs[an].(map[string]any)
				add(a["observable"], caption+": "+an)
			}
		}
	}
	for k, v := range typeID.enum {
		enum[k] = v
	}
	typeID.enum = enum
	return nil
}

// dictType returns the raw dictionary entry of a data type.
func (c *compiler) dictType(name string) (map[string]any, bool) {
	dictionary := c.files["dictionary.json"]
	m, ok := mapAt(dictionary, "types", "attributes")[name].(map[string]any)
	return m, ok
}

// compileTypes compiles the dictionary's data types.
func compileTypes(raw map[string]any) (map[string]*dataType, error) {
	types := make(map[string]*dataType, len(raw))
	var build func(name string, depth int) (*dataType, error)
	build = func(name string, depth int) (*dataType, error) {
		if t, ok := types[name]; ok {
			return t, nil
		}
		m, ok := raw[name].(map[string]any)
		if !ok {
			return nil, fmt.Errorf("data type %s is not defined", name)
		}
		if depth > len(raw) {
			return nil, fmt.Errorf("data type %s: type cycle", name)
		}
		t := &dataType{name: name, check: checks[name]}
		super, _ := m["type"].(string)
		switch p, isPrim := primitives[name]; {
		case isPrim:
			t.prim = p
			if p == primInteger {
				t.hasMin, t.hasMax, t.min, t.max = true, true, math.MinInt32, math.MaxInt32
			}
		case super != "":
			st, err := build(super, depth+1)
			if err != nil {
				return nil, fmt.Errorf("data type %s: %w", name, err)
			}
			t.prim, t.maxLen = st.prim, st.maxLen
			t.hasMin, t.hasMax, t.min, t.max = st.hasMin, st.hasMax, st.min, st.max
			if t.check == nil {
				t.check = st.check
			}
		default:
			// 1.0.0-rc.2 names no super type for some types, only a type name, and neither
			// for bytestring_t and uuid_t, which are strings.
			tn, _ := m["type_name"].(string)
			if t.prim = typeNames[tn]; t.prim == 0 {
				t.prim = primString
			}
			if t.prim == primString {
				t.maxLen = 65535
			}
		}
		if n, ok := intOf(m["max_len"]); ok {
			t.maxLen = int(n)
		}
		if r, ok := m["range"].([]any); ok && len(r) == 2 {
			lo, ok1 := intOf(r[0])
			hi, ok2 := intOf(r[1])
			if !ok1 || !ok2 {
				return nil, fmt.Errorf("data type %s: bad range %v", name, r)
			}
			t.hasMin, t.hasMax, t.min, t.max = true, true, lo, hi
		}
		types[name] = t
		return t, nil
	}
	for _, name := range sortedKeys(raw) {
		if name == "object_t" { // 1.0.0-rc.2 lists object_t; objects are not data types
			continue
		}
		if _, err := build(name, 0); err != nil {
			return nil, err
		}
	}
	return types, nil
}

// deepMerge merges right onto left: maps present on both sides are merged recursively (an
// empty map on either side yields the other), any other value of right wins, null included.
// Neither argument is modified.
func deepMerge(left, right map[string]any) map[string]any {
	if left == nil {
		return without(right)
	}
	out := without(left)
	for k, rv := range right {
		lm, lok := out[k].(map[string]any)
		rm, rok := rv.(map[string]any)
		switch {
		case lok && rok && len(lm) == 0:
			out[k] = rm
		case lok && rok && len(rm) == 0:
			out[k] = lm
		case lok && rok:
			out[k] = deepMerge(lm, rm)
		default:
			out[k] = rv
		}
	}
	return out
}

// without returns a shallow copy of m without the given keys.
func without(m map[string]any, keys ...string) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		if !slices.Contains(keys, k) {
			out[k] = v
		}
	}
	return out
}

// mapAt follows keys through nested maps and returns the map found, or nil.
func mapAt(m map[string]any, keys ...string) map[string]any {
	for _, k := range keys {
		m, _ = m[k].(map[string]any)
	}
	return m
}

// stringList reads a JSON string or array of strings.
func stringList(v any) ([]string, error) {
	switch x := v.(type) {
	case nil:
		return nil, nil
	case string:
		return []string{x}, nil
	case []any:
		out := make([]string, 0, len(x))
		for _, e := range x {
			s, ok := e.(string)
			if !ok {
				return nil, fmt.Errorf("%v is not a string", e)
			}
			out = append(out, s)
		}
		return out, nil
	}
	return nil, fmt.Errorf("%v is neither a string nor a list of strings", v)
}

func anyList(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

// intOf reads a JSON number that is an integer.
func intOf(v any) (int64, bool) {
	n, ok := toNumber(v)
	return n.i, ok && n.isInt
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
