package source

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// Registry holds the formats a run can read, by name. It is built once and not modified.
type Registry struct {
	formats []Format
}

// NewRegistry returns a registry of the given formats. Detection tries them in this order.
func NewRegistry(formats ...Format) *Registry {
	return &Registry{formats: formats}
}

// Names returns the names of the registered formats, sorted.
func (r *Registry) Names() []string {
	names := make([]string, len(r.formats))
	for i, f := range r.formats {
		names[i] = f.Name()
	}
	sort.Strings(names)
	return names
}

// Get returns the format called name.
func (r *Registry) Get(name string) (Format, error) {
	for _, f := range r.formats {
		if f.Name() == name {
			return f, nil
		}
	}
	return nil, fmt.Errorf("unknown source format %q (known: auto, %s)", name, strings.Join(r.Names(), ", "))
}

// ErrUnrecognized is returned by Detect when no format recognizes the content.
var ErrUnrecognized = errors.New("content matches no known format")

// Detect returns the format that recognizes head, the first bytes of decompressed content. It
// never guesses: content that no format recognizes, or that several recognize, is an error.
func (r *Registry) Detect(head []byte) (Format, error) {
	var found []Format
	for _, f := range r.formats {
		if f.Sniff(head) {
			found = append(found, f)
		}
	}
	switch len(found) {
	case 0:
		return nil, fmt.Errorf("%w (known: %s); name one with --source", ErrUnrecognized, strings.Join(r.Names(), ", "))
	case 1:
		return found[0], nil
	default:
		names := make([]string, len(found))
		for i, f := range found {
			names[i] = f.Name()
		}
		return nil, fmt.Errorf("content matches several formats (%s); name one with --source", strings.Join(names, ", "))
	}
}
