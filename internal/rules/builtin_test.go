package rules

import "testing"

func TestBuiltinCompiles(t *testing.T) {
	rs, err := Builtin()
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) == 0 {
		t.Skip("the pack is empty")
	}
	if _, err := Compile(rs, Env{}); err != nil {
		t.Fatal(err)
	}
	for _, r := range rs {
		if !r.Builtin {
			t.Errorf("%s: Builtin not set", r.Pos())
		}
	}
}
