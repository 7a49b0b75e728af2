package rules

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// pack is the built-in rule pack.
//
//go:embed pack/*.yml
var pack embed.FS

// Builtin parses the built-in rule pack (internal/rules/pack/*.yml, embedded): the rules'
// File is "pack/NAME.yml" and Builtin is set.
func Builtin() ([]*Rule, error) {
	return loadFS(pack, "pack", true)
}

// LoadDir parses every rule file (*.yml, *.yaml) under dir, recursively, in lexical order.
func LoadDir(dir string) ([]*Rule, error) {
	if _, err := os.Stat(dir); err != nil {
		return nil, fmt.Errorf("rules directory: %w", err)
	}
	var (
		out  []*Rule
		errs []error
	)
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || !isRuleFile(p) {
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rs, err := Parse(data, p)
		if err != nil {
			errs = append(errs, err)
		}
		out = append(out, rs...)
		return nil
	})
	if err != nil {
		errs = append(errs, fmt.Errorf("reading rules in %s: %w", dir, err))
	}
	return out, errors.Join(errs...)
}

// loadFS parses the rule files under root of fsys.
func loadFS(fsys fs.FS, root string, builtin bool) ([]*Rule, error) {
	var (
		out  []*Rule
		errs []error
	)
	err := fs.WalkDir(fsys, root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || !isRuleFile(p) {
			return nil
		}
		data, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		rs, err := Parse(data, p)
		if err != nil {
			errs = append(errs, err)
		}
		for _, r := range rs {
			r.Builtin = builtin
		}
		out = append(out, rs...)
		return nil
	})
	if err != nil {
		errs = append(errs, fmt.Errorf("reading rules in %s: %w", root, err))
	}
	return out, errors.Join(errs...)
}

// isRuleFile reports whether p names a rule file.
func isRuleFile(p string) bool {
	ext := strings.ToLower(path.Ext(p))
	return ext == ".yml" || ext == ".yaml"
}

// Merge returns builtin with the rules of extra added: a rule of extra with the name of a
// built-in rule replaces it in place; the others follow, in order. Neither slice is modified.
func Merge(builtin, extra []*Rule) []*Rule {
	byName := make(map[string]*Rule, len(extra))
	for _, r := range extra {
		byName[r.Name] = r
	}
	out := make([]*Rule, 0, len(builtin)+len(extra))
	used := make(map[string]bool, len(extra))
	for _, r := range builtin {
		if x, ok := byName[r.Name]; ok {
			if !used[r.Name] {
				out = append(out, x)
				used[r.Name] = true
			}
			continue
		}
		out = append(out, r)
	}
	for _, r := range extra {
		if !used[r.Name] {
			out = append(out, r)
		}
	}
	return out
}
