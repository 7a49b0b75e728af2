package schema

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
)

// Kind classifies a validation [Error].
type Kind uint8

// Kinds of validation errors.
const (
	KindSyntax     Kind = iota + 1 // the record is not JSON, or not a JSON object
	KindRequired                   // a required attribute is missing
	KindType                       // a value has the wrong JSON type
	KindValue                      // a value of the right type is malformed or out of range
	KindEnum                       // a value is not in its attribute's enum
	KindUnknown                    // an attribute is not defined, or its profile is not listed
	KindProfile                    // metadata.profiles lists an undefined profile
	KindConstraint                 // an at_least_one or just_one constraint is violated
	KindCaption                    // a caption (class_name, severity, ...) disagrees with its id
	KindClass                      // class_uid is unknown, or category_uid or type_uid disagree with it
	KindVersion                    // metadata.version is not the version of the schema
	KindReference                  // an observable's name is not an attribute of the class
)

var kindNames = [...]string{
	KindSyntax:     "syntax",
	KindRequired:   "required",
	KindType:       "type",
	KindValue:      "value",
	KindEnum:       "enum",
	KindUnknown:    "unknown",
	KindProfile:    "profile",
	KindConstraint: "constraint",
	KindCaption:    "caption",
	KindClass:      "class",
	KindVersion:    "version",
	KindReference:  "reference",
}

// String returns the name of k, such as "required".
func (k Kind) String() string {
	if int(k) < len(kindNames) && kindNames[k] != "" {
		return kindNames[k]
	}
	return "Kind(" + strconv.Itoa(int(k)) + ")"
}

// Error is one problem of an event: where (Path, such as "src_endpoint.port" or
// "observables[2].type_id"; empty for the event as a whole), what kind, and a message.
type Error struct {
	Path string
	Kind Kind
	Msg  string
}

// Error formats e as "path: message".
func (e Error) Error() string {
	if e.Path == "" {
		return e.Msg
	}
	return e.Path + ": " + e.Msg
}

// Errors is the list of problems of one event. As an error it lists one problem a line.
type Errors []Error

// Error lists every problem, one a line.
func (es Errors) Error() string {
	var b strings.Builder
	for i, e := range es {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(e.Error())
	}
	return b.String()
}

// Unwrap returns each problem as an error, for errors.As.
func (es Errors) Unwrap() []error {
	out := make([]error, len(es))
	for i, e := range es {
		out[i] = e
	}
	return out
}

// Validate validates any Go value that marshals to an OCSF event, such as an
// *ocsf.NetworkActivity, against the embedded OCSF 1.1.0 schema. It returns nil for a valid
// event and otherwise an [Errors] listing every problem with its JSON path.
func Validate(v any) error {
	s, err := Default()
	if err != nil {
		return err
	}
	return s.ValidateValue(v)
}

// ValidateValue is [Validate] against s.
func (s *Schema) ValidateValue(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("marshal event: %w", err)
	}
	event, err := decodeObject(b)
	if err != nil {
		return Errors{{Kind: KindSyntax, Msg: err.Error()}}
	}
	if errs := s.Validate(event); len(errs) > 0 {
		return Errors(errs)
	}
	return nil
}

// decodeObject decodes JSON text holding one object, keeping numbers exact.
func decodeObject(b []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("not JSON: %w", err)
	}
	if _, err := dec.Token(); err == nil {
		return nil, errors.New("not JSON: more than one value")
	} else if !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("not JSON: after the value: %w", err)
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("a JSON %s, not an object", jsonKind(v))
	}
	return m, nil
}

// Validate validates an OCSF event decoded from JSON (numbers as json.Number or float64; Go
// integer types are accepted too) and returns its problems, or nil when it is valid. The
// problems are sorted by path.
func (s *Schema) Validate(event map[string]any) []Error {
	v := validator{s: s}
	v.event(event)
	slices.SortStableFunc(v.errs, func(a, b Error) int { return comparePaths(a.Path, b.Path) })
	return v.errs
}

// validator holds the state of the validation of one event.
type validator struct {
	s        *Schema
	profiles []string // metadata.profiles
	path     []segment
	errs     []Error
}

// segment is one step of a JSON path: an attribute name, or an array index when name is "".
type segment struct {
	name  string
	index int
}

func (v *validator) push(name string) { v.path = append(v.path, segment{name: name}) }
func (v *validator) pushIndex(i int)  { v.path = append(v.path, segment{index: i}) }
func (v *validator) pop()             { v.path = v.path[:len(v.path)-1] }

// pathTo returns the current path, followed by attr when attr is not "".
func (v *validator) pathTo(attr string) string {
	var b strings.Builder
	for _, s := range v.path {
		if s.name == "" {
			b.WriteByte('[')
			b.WriteString(strconv.Itoa(s.index))
			b.WriteByte(']')
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(s.name)
	}
	if attr != "" {
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(attr)
	}
	return b.String()
}

// add records a problem at the current path, followed by attr when attr is not "".
func (v *validator) add(kind Kind, attr, format string, args ...any) {
	v.errs = append(v.errs, Error{Path: v.pathTo(attr), Kind: kind, Msg: fmt.Sprintf(format, args...)})
}

func (v *validator) listed(profile string) bool { return slices.Contains(v.profiles, profile) }

func (v *validator) event(event map[string]any) {
	raw, ok := event["class_uid"]
	if !ok || raw == nil {
		v.add(KindRequired, "class_uid", "required attribute is missing; the event cannot be validated further")
		return
	}
	uid, ok := toNumber(raw)
	if !ok || !uid.isInt {
		v.add(KindType, "class_uid", "expected integer (integer_t), got %s; the event cannot be validated further", describe(raw))
		return
	}
	c := v.s.classes[uid.i]
	if c == nil {
		v.add(KindClass, "class_uid", "%s is not an event class of OCSF %s", uid, v.s.version)
		return
	}
	v.readProfiles(event)
	v.object(&c.def, event)
	v.classification(c, event)
	v.version(event)
	v.observables(c, event)
}

// readProfiles reads metadata.profiles and reports the profiles the schema does not define.
func (v *validator) readProfiles(event map[string]any) {
	metadata, _ := event["metadata"].(map[string]any)
	list, _ := metadata["profiles"].([]any)
	for i, p := range list {
		name, ok := p.(string)
		if !ok {
			continue // a type error, reported with the metadata object
		}
		v.profiles = append(v.profiles, name)
		if !v.s.profiles[name] {
			v.add(KindProfile, "metadata.profiles["+strconv.Itoa(i)+"]",
				"profile %q is not defined in OCSF %s (profiles: %s)", name, v.s.version,
				strings.Join(v.s.Profiles(), ", "))
		}
	}
}

// object validates the attributes of m, a class or an object, against d.
func (v *validator) object(d *def, m map[string]any) {
	if d.open {
		return
	}
	present := 0 // required attributes present
	for name, val := range m {
		a := d.attrs[name]
		if a == nil {
			v.add(KindUnknown, name, "attribute is not defined in %s", d.describe())
			continue
		}
		if a.profile != "" && !v.listed(a.profile) {
			v.add(KindUnknown, name, "attribute of the %s profile, which metadata.profiles does not list", a.profile)
			continue
		}
		if val == nil {
			continue // null is absent
		}
		if a.requirement == required {
			present++
		}
		v.push(name)
		v.value(a, val)
		v.pop()
		if a.sibling != "" && a.enum != nil {
			if caption := m[a.sibling]; caption != nil {
				v.sibling(a, val, caption)
			}
		}
	}
	if present < len(d.required) {
		for _, a := range d.required {
			if m[a.name] == nil && (a.profile == "" || v.listed(a.profile)) {
				v.add(KindRequired, a.name, "required attribute is missing")
			}
		}
	}
	v.constraints(d, m)
}

// describe names a definition for messages.
func (d *def) describe() string {
	return fmt.Sprintf("%s (%s)", d.name, d.caption)
}

// value validates the value of attribute a; the current path is the attribute's.
func (v *validator) value(a *attribute, val any) {
	if !a.isArray {
		v.one(a, val)
		return
	}
	list, ok := val.([]any)
	if !ok {
		v.add(KindType, "", "expected an array of %s, got %s", a.typeName(), describe(val))
		return
	}
	for i, e := range list {
		v.pushIndex(i)
		v.one(a, e)
		v.pop()
	}
}

// maxDepth bounds the nesting of objects Validate follows, so that a map that contains itself
// (which JSON cannot make, but Go can) is an error instead of a stack overflow.
const maxDepth = 256

// one validates a single value (an array element for an array attribute).
func (v *validator) one(a *attribute, val any) {
	if a.object != nil {
		m, ok := val.(map[string]any)
		if !ok {
			v.add(KindType, "", "expected object (%s), got %s", a.object.name, describe(val))
			return
		}
		if len(v.path) > maxDepth {
			v.add(KindValue, "", "objects nested more than %d deep", maxDepth)
			return
		}
		v.object(&a.object.def, m)
		return
	}
	if val == nil {
		v.add(KindType, "", "expected %s, got null", a.typeName())
		return
	}
	if kind, msg := a.typ.checkValue(val); msg != "" {
		v.add(kind, "", "%s", msg)
		return
	}
	if a.enum != nil {
		key, _ := enumKey(val)
		if _, ok := a.enum[key]; !ok {
			v.add(KindEnum, "", "%s is not a value of the %s enum (%s)", describe(val), a.name, a.enum)
		}
	}
}

// typeName names the type of a for messages.
func (a *attribute) typeName() string {
	if a.object != nil {
		return a.object.name
	}
	return a.typ.name
}

// String lists the values of an enum in numeric order, with their captions.
func (e enumValues) String() string {
	keys := sortedKeys(e)
	slices.SortStableFunc(keys, func(a, b string) int { return compareNatural(a, b) })
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteString(", ")
		}
		if i == 30 {
			fmt.Fprintf(&b, "and %d more", len(keys)-i)
			break
		}
		b.WriteString(k)
		if e[k] != "" {
			b.WriteByte(' ')
			b.WriteString(e[k])
		}
	}
	return b.String()
}

// sibling checks that the caption attribute of enum attribute a agrees with its id. 99
// (Other) lets the caption carry the source's own value.
func (v *validator) sibling(a *attribute, idVal, nameVal any) {
	if !a.isArray {
		v.caption(a, idVal, nameVal, a.sibling)
		return
	}
	ids, ok1 := idVal.([]any)
	names, ok2 := nameVal.([]any)
	if !ok1 || !ok2 {
		return // type errors, reported with the attributes
	}
	for i, id := range ids {
		if i >= len(names) {
			v.add(KindCaption, a.sibling, "has %d captions for the %d values of %s", len(names), len(ids), a.name)
			return
		}
		v.caption(a, id, names[i], a.sibling+"["+strconv.Itoa(i)+"]")
	}
}

func (v *validator) caption(a *attribute, idVal, nameVal any, at string) {
	key, ok := enumKey(idVal)
	if !ok || key == "99" {
		return
	}
	want, ok := a.enum[key]
	name, isString := nameVal.(string)
	if !ok || !isString || name == want {
		return // an enum or type error, reported with the attribute; or agreement
	}
	v.add(KindCaption, at, "%q is not the caption %q of %s %s", name, want, a.name, key)
}

// constraints checks the at_least_one and just_one constraints of d on m.
func (v *validator) constraints(d *def, m map[string]any) {
	if d.atLeastOne != nil && countPresent(m, d.atLeastOne) == 0 {
		v.add(KindConstraint, "", "at least one of %s is required (%s)", d.atLeastOne, d.name)
	}
	if d.justOne != nil {
		if n := countPresent(m, d.justOne); n != 1 {
			v.add(KindConstraint, "", "exactly one of %s is required, got %d (%s)", d.justOne, n, d.name)
		}
	}
}

// countPresent counts the attribute paths of c that are present in m.
func countPresent(m map[string]any, c *constraint) int {
	n := 0
	for _, p := range c.paths {
		cur := any(m)
		for _, part := range p {
			obj, _ := cur.(map[string]any)
			cur = obj[part]
		}
		if cur != nil {
			n++
		}
	}
	return n
}

// classification checks what the enums cannot: that category, type and captions agree with
// the class.
func (v *validator) classification(c *class, event map[string]any) {
	if n, ok := toNumber(event["category_uid"]); ok && n.isInt && n.i != c.categoryUID {
		v.add(KindClass, "category_uid", "%s is not the category of class %d %s, which is %d %s",
			n, c.uid, c.caption, c.categoryUID, c.category)
	}
	if name, ok := event["class_name"].(string); ok && name != c.caption {
		v.add(KindCaption, "class_name", "%q is not the caption %q of class_uid %d", name, c.caption, c.uid)
	}
	if name, ok := event["category_name"].(string); ok && c.category != "" && name != c.category {
		v.add(KindCaption, "category_name", "%q is not the caption %q of category_uid %d", name, c.category, c.categoryUID)
	}
	act, okAct := toNumber(event["activity_id"])
	okAct = okAct && act.isInt
	if t, ok := toNumber(event["type_uid"]); ok && t.isInt && okAct {
		if want := c.uid*100 + act.i; t.i != want {
			v.add(KindClass, "type_uid", "%d is not class_uid %d * 100 + activity_id %d = %d", t.i, c.uid, act.i, want)
		}
	}
	name, ok := event["type_name"].(string)
	if !ok || !okAct {
		return
	}
	caption, known := c.activities[act.i]
	if !known {
		return // an enum error of activity_id
	}
	want := c.caption + ": " + caption
	if act.i == 99 {
		if actName, _ := event["activity_name"].(string); name == c.caption+": "+actName {
			return
		}
	}
	if name != want {
		v.add(KindCaption, "type_name", "%q is not the caption %q of type_uid %d", name, want, c.uid*100+act.i)
	}
}

// version checks that the event claims the version of the schema it is validated against.
func (v *validator) version(event map[string]any) {
	metadata, _ := event["metadata"].(map[string]any)
	if ver, ok := metadata["version"].(string); ok && ver != v.s.version {
		v.add(KindVersion, "metadata.version", "%q is not the version of the schema, %s", ver, v.s.version)
	}
}

// observables checks that each observable names an attribute path of the class.
func (v *validator) observables(c *class, event map[string]any) {
	list, _ := event["observables"].([]any)
	for i, o := range list {
		obs, _ := o.(map[string]any)
		name, ok := obs["name"].(string)
		if !ok || v.resolves(&c.def, name) {
			continue
		}
		v.add(KindReference, "observables["+strconv.Itoa(i)+"].name",
			"%q is not an attribute path of class %d %s", name, c.uid, c.caption)
	}
}

// resolves reports whether a dotted attribute path (array steps may carry "[]" or "[n]")
// names an attribute of d, given the listed profiles.
func (v *validator) resolves(d *def, p string) bool {
	for part := range strings.SplitSeq(p, ".") {
		if i := strings.IndexByte(part, '['); i >= 0 {
			part = part[:i]
		}
		if d == nil {
			return false
		}
		if d.open {
			return true
		}
		a := d.attrs[part]
		if a == nil || a.profile != "" && !v.listed(a.profile) {
			return false
		}
		if a.object == nil {
			if a.typ.prim == primJSON {
				return true
			}
			d = nil
			continue
		}
		d = &a.object.def
	}
	return true
}

// describe shows a value of a wrong type in a message: its JSON type, and the value itself
// when it is short.
func describe(v any) string {
	switch x := v.(type) {
	case string:
		if len(x) <= 40 {
			return strconv.Quote(x)
		}
		return "a string"
	case bool:
		return strconv.FormatBool(x)
	}
	if n, ok := toNumber(v); ok {
		return n.String()
	}
	return jsonKind(v)
}

// comparePaths orders JSON paths naturally: "observables[2]" before "observables[10]".
func comparePaths(a, b string) int { return compareNatural(a, b) }

// compareNatural compares strings, runs of digits by their numeric value.
func compareNatural(a, b string) int {
	for a != "" && b != "" {
		da, db := digitRun(a), digitRun(b)
		if da > 0 && db > 0 {
			na, nb := strings.TrimLeft(a[:da], "0"), strings.TrimLeft(b[:db], "0")
			if c := len(na) - len(nb); c != 0 {
				return c
			}
			if c := strings.Compare(na, nb); c != 0 {
				return c
			}
			a, b = a[da:], b[db:]
			continue
		}
		if a[0] != b[0] {
			return int(a[0]) - int(b[0])
		}
		a, b = a[1:], b[1:]
	}
	return len(a) - len(b)
}

func digitRun(s string) int {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	return i
}
