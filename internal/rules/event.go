package rules

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/mcpwatch/mcpwatch/internal/ocsf"
	"github.com/mcpwatch/mcpwatch/internal/rules/fields"
)

// DecodeEvent decodes an OCSF event from its JSON form into the Go type of package ocsf its
// class_uid names (a pointer: *ocsf.NetworkActivity, *ocsf.APIActivity, ...).
func DecodeEvent(raw json.RawMessage) (ocsf.Event, error) {
	var head struct {
		ClassUID *int32 `json:"class_uid"`
	}
	if err := json.Unmarshal(raw, &head); err != nil {
		return nil, fmt.Errorf("decoding event: %w", err)
	}
	if head.ClassUID == nil {
		return nil, fmt.Errorf("decoding event: no class_uid")
	}
	t := fields.TypeOfClass(*head.ClassUID)
	raw, err := stringifyJSONAttrs(raw, t)
	if err != nil {
		return nil, fmt.Errorf("decoding class %d event: %w", *head.ClassUID, err)
	}
	var ev ocsf.Event
	switch t {
	case fields.NetworkActivity:
		ev = new(ocsf.NetworkActivity)
	case fields.DNSActivity:
		ev = new(ocsf.DNSActivity)
	case fields.APIActivity:
		ev = new(ocsf.APIActivity)
	case fields.Authentication:
		ev = new(ocsf.Authentication)
	case fields.AccountChange:
		ev = new(ocsf.AccountChange)
	case fields.ImportedFinding:
		ev = new(ocsf.ImportedFinding)
	case fields.InventoryInfo:
		ev = new(ocsf.InventoryInfo)
	default:
		return nil, fmt.Errorf("decoding event: class_uid %d is not a class mcpwatch reads", *head.ClassUID)
	}
	if err := json.Unmarshal(raw, ev); err != nil {
		return nil, fmt.Errorf("decoding class %d event: %w", *head.ClassUID, err)
	}
	return ev, nil
}

// stringifyJSONAttrs rewrites the JSON attributes (OCSF json_t, such as api.request.data) of
// an event of type t that are given as JSON objects or arrays, as OCSF has them, into JSON
// text, as package ocsf holds them.
func stringifyJSONAttrs(raw json.RawMessage, t fields.Type) (json.RawMessage, error) {
	var paths [][]string
	for _, p := range fields.Paths(t) {
		if f, ok := fields.Lookup(t, p); ok && f.Kind == fields.JSON {
			paths = append(paths, strings.Split(p, "."))
		}
	}
	if len(paths) == 0 {
		return raw, nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	changed := false
	for _, p := range paths {
		if err := stringifyAt(&v, p, &changed); err != nil {
			return nil, err
		}
	}
	if !changed {
		return raw, nil
	}
	return json.Marshal(v)
}

// stringifyAt replaces the value at path under *v (crossing arrays) by its JSON text when it
// is not a string.
func stringifyAt(v *any, path []string, changed *bool) error {
	switch x := (*v).(type) {
	case []any:
		for i := range x {
			if err := stringifyAt(&x[i], path, changed); err != nil {
				return err
			}
		}
	case map[string]any:
		if len(path) == 0 {
			break
		}
		c, ok := x[path[0]]
		if !ok {
			return nil
		}
		if len(path) == 1 {
			switch c.(type) {
			case string, nil:
				return nil
			}
			b, err := json.Marshal(c)
			if err != nil {
				return err
			}
			x[path[0]] = string(b)
			*changed = true
			return nil
		}
		if err := stringifyAt(&c, path[1:], changed); err != nil {
			return err
		}
		x[path[0]] = c
	}
	return nil
}
