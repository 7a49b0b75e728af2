// Package schema validates OCSF events against the OCSF schema itself: the schema's source
// files (dictionary, categories, events, objects, includes, profiles) are embedded in the
// binary and compiled once into an immutable [Schema].
//
// Compiling follows the OCSF schema server (github.com/ocsf/ocsf-server): an "$include" of
// includes/*.json or profiles/*.json merges the included attributes under the file's own, and
// attributes coming from a profile file are tagged with that profile (a file's own definition
// can clear the tag with "profile": null); "extends" chains are merged parent first, the child
// winning attribute by attribute ("attr": null removes one); every attribute is then merged
// onto its dictionary.json entry, which gives its type, is_array, enum and sibling; and every
// timestamp_t attribute gets its <name>_dt twin (datetime_t) in the synthetic "datetime"
// profile. Event class uid is category uid * 1000 + class uid. Extensions are not compiled.
//
// Validation follows the server's validator (Schema.Validator2), with these decisions:
//
//   - Profiles are strict: an attribute that a profile brings in (cloud, datetime's *_dt,
//     security_control's action_id, host's device, ...) is allowed only when metadata.profiles
//     lists the profile, and it is then required if the profile says so. Listing an unknown
//     profile is an error. Amazon Security Lake lists "cloud" and "datetime" on every event
//     and "security_control" on VPC Flow Logs and Route 53 events.
//   - A JSON null is treated as an absent attribute.
//   - Enum siblings (class_name, category_name, activity_name, type_name, severity, and every
//     other *_id / caption pair) must equal the enum caption exactly, except for 99 "Other",
//     whose caption attribute carries the source's own value. The server only warns here.
//   - Type checks are Go checks, not the dictionary's regular expressions (those of 1.0.0-rc.2
//     are PCRE-only or wrong): integer_t is 32-bit, long_t and timestamp_t 64-bit, port_t
//     0..65535, float_t any JSON number, ip_t an IPv4/IPv6 address, subnet_t a CIDR prefix,
//     datetime_t RFC 3339 (with a zone offset), mac_t six hex octets, email_t the 1.1.0
//     pattern, uuid_t 8-4-4-4-12 hex, url_t a parseable URL, hostname_t a DNS name (an
//     absolute name with a trailing dot and labels with "_" are accepted, unlike the
//     dictionary's pattern, because DNS logs carry both). max_len is checked in characters.
//   - Attributes of the "object" object (unmapped) and json_t attributes accept anything.
//   - observables[].name must name an attribute path of the class, and observables[].type_id
//     must be one of the observable types the schema defines (dictionary types, attributes and
//     objects that declare an "observable" number, as the server builds them).
package schema

import (
	"embed"
	"fmt"
	"io/fs"
	"slices"
	"strings"
	"sync"
)

// Version110 is OCSF 1.1.0, the version Amazon Security Lake source version 2 writes and
// mcpwatch emits; it is the default schema.
const Version110 = "1.1.0"

// Version100RC2 is OCSF 1.0.0-rc.2, the version of Amazon Security Lake source version 1.
const Version100RC2 = "1.0.0-rc.2"

// embedded holds one directory per schema version, named ocsf-<version>. Adding a version is
// copying its schema source into such a directory and naming the directory here ("all:" keeps
// the objects whose file names start with "_").
//
//go:embed all:ocsf-1.1.0 all:ocsf-1.0.0-rc.2
var embedded embed.FS

const dirPrefix = "ocsf-"

// compiled holds, per embedded version, the function that compiles it once. The map is built
// at package initialization and never modified afterwards.
var compiled = func() map[string]func() (*Schema, error) {
	m := make(map[string]func() (*Schema, error))
	for _, v := range embeddedVersions() {
		m[v] = sync.OnceValues(func() (*Schema, error) {
			sub, err := fs.Sub(embedded, dirPrefix+v)
			if err != nil {
				return nil, fmt.Errorf("embedded OCSF schema %s: %w", v, err)
			}
			return Compile(sub)
		})
	}
	return m
}()

func embeddedVersions() []string {
	entries, err := embedded.ReadDir(".")
	if err != nil {
		return nil
	}
	var vs []string
	for _, e := range entries {
		if v, ok := strings.CutPrefix(e.Name(), dirPrefix); ok && e.IsDir() {
			vs = append(vs, v)
		}
	}
	slices.Sort(vs)
	return vs
}

// Versions returns the OCSF versions embedded in the binary, sorted.
func Versions() []string { return embeddedVersions() }

// Load returns the embedded schema of an OCSF version such as "1.1.0". The schema is compiled
// on first use and shared afterwards; it is immutable and safe for concurrent use.
func Load(version string) (*Schema, error) {
	f, ok := compiled[version]
	if !ok {
		return nil, fmt.Errorf("OCSF schema %q is not embedded (have %s)", version,
			strings.Join(Versions(), ", "))
	}
	return f()
}

// Default returns the embedded OCSF 1.1.0 schema.
func Default() (*Schema, error) { return Load(Version110) }

// Schema is a compiled OCSF schema version. It is immutable and safe for concurrent use.
type Schema struct {
	version    string
	classes    map[int64]*class
	objects    map[string]*object
	profiles   map[string]bool
	categories map[int64]string // category uid -> caption
}

// Version returns the OCSF version of s, as its version.json states it.
func (s *Schema) Version() string { return s.version }

// ClassUIDs returns the uids of the event classes s defines, sorted.
func (s *Schema) ClassUIDs() []int64 {
	uids := make([]int64, 0, len(s.classes))
	for uid := range s.classes {
		uids = append(uids, uid)
	}
	slices.Sort(uids)
	return uids
}

// ClassName returns the caption of an event class uid, or "" when s does not define it.
func (s *Schema) ClassName(uid int64) string {
	if c := s.classes[uid]; c != nil {
		return c.caption
	}
	return ""
}

// Profiles returns the names of the profiles s defines, sorted.
func (s *Schema) Profiles() []string {
	names := make([]string, 0, len(s.profiles))
	for p := range s.profiles {
		names = append(names, p)
	}
	slices.Sort(names)
	return names
}

// requirement is how much an attribute is expected.
type requirement uint8

const (
	optional requirement = iota
	recommended
	required
)

// class is a compiled event class.
type class struct {
	def
	uid         int64 // category uid * 1000 + class uid
	categoryUID int64
	category    string // category caption
	activities  map[int64]string
}

// object is a compiled object.
type object struct {
	def
}

// def is what classes and objects share: attributes and constraints.
type def struct {
	name     string
	caption  string
	attrs    map[string]*attribute
	required []*attribute // attributes whose requirement is "required"
	// open is true for an object without attributes ("object", the type of unmapped):
	// anything is allowed in it.
	open       bool
	atLeastOne *constraint // attribute paths, one of which must be present
	justOne    *constraint // attribute paths, exactly one of which must be present
}

// constraint is a set of attribute paths such as "device.os.version".
type constraint struct {
	text  string     // the paths, comma-separated, for messages
	paths [][]string // the paths, split at dots
}

// String returns the paths of c, comma-separated.
func (c *constraint) String() string { return c.text }

// attribute is a compiled attribute of a class or object.
type attribute struct {
	name        string
	requirement requirement
	isArray     bool
	profile     string     // the profile that brings the attribute, or ""
	typ         *dataType  // nil for an object attribute
	object      *object    // the object type, for an object attribute
	enum        enumValues // nil when the attribute has no enum
	sibling     string     // the caption attribute of an enum, or ""
}

// enumValues maps an enum value (its JSON text: "1", "GET") to its caption.
type enumValues map[string]string
