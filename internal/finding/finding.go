// Package finding is mcpwatch's finding model on top of OCSF Detection Finding (class 2004):
// the stable dedup key of a finding, its lifecycle across runs (Merge, Current), and its
// AWS Security Finding Format (ASFF) form for Security Hub (ToASFF, ValidateASFF).
//
// A finding is identified by finding_info.uid, which Key derives from the rule and the entity
// the rule groups by; every run that sees the same evidence produces the same uid, so
// successive versions of a finding can be merged, stored side by side and reduced to the
// current one.
package finding

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
)

// keyDomain separates mcpwatch finding keys from any other SHA-256 use; it changes only if
// the scheme does (which would re-key every finding).
const keyDomain = "mcpwatch/finding-key/v1"

// Key returns the finding uid (finding_info.uid, the dedup key) of the finding that rule
// ruleID raises about an entity, given as the values the rule groups by, in the rule's order
// (for example account, internal address, external address).
//
// The scheme: uid = ruleID + ":" + the first 16 bytes, in lower-case hex, of
// SHA-256(keyDomain, ruleID, entity...), where every string is preceded by its length in
// decimal and a colon so that no two different lists hash alike ("a","bc" vs "ab","c").
// It depends on nothing but its arguments: the same evidence yields the same uid on every
// run and machine. Callers pass canonical values (addresses as netip.Addr.String, ports in
// decimal) so that spellings of the same entity agree. The rule id stays readable in the uid
// so findings can be grouped by rule without parsing.
func Key(ruleID string, entity ...string) string {
	h := sha256.New()
	var buf []byte
	write := func(s string) {
		buf = strconv.AppendInt(buf[:0], int64(len(s)), 10)
		buf = append(buf, ':')
		h.Write(buf)
		h.Write([]byte(s))
	}
	write(keyDomain)
	write(ruleID)
	for _, e := range entity {
		write(e)
	}
	sum := h.Sum(nil)
	return ruleID + ":" + hex.EncodeToString(sum[:16])
}
