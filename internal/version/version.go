// Package version says which mcpwatch this is.
package version

import "runtime/debug"

// Version is the mcpwatch release. Findings carry it as metadata.product.version.
const Version = "0.1.0"

// Commit is the VCS revision the binary was built from, or "" when unknown.
func Commit() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return ""
	}
	for _, s := range info.Settings {
		if s.Key == "vcs.revision" {
			return s.Value
		}
	}
	return ""
}
