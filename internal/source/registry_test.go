package source

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
)

// prefixFormat recognizes content starting with its prefix.
type prefixFormat struct{ name, prefix string }

func (f prefixFormat) Name() string           { return f.name }
func (f prefixFormat) Table() string          { return strings.ToUpper(f.name) }
func (f prefixFormat) Sniff(head []byte) bool { return bytes.HasPrefix(head, []byte(f.prefix)) }
func (f prefixFormat) Read(context.Context, Input, Sink) error {
	return nil
}

func TestRegistry(t *testing.T) {
	r := NewRegistry(prefixFormat{"beta", "b"}, prefixFormat{"alpha", "a"}, prefixFormat{"alphabet", "ab"})
	if got := strings.Join(r.Names(), ","); got != "alpha,alphabet,beta" {
		t.Fatalf("names %s", got)
	}
	if f, err := r.Get("beta"); err != nil || f.Name() != "beta" {
		t.Fatalf("Get(beta) = %v, %v", f, err)
	}
	if _, err := r.Get("gamma"); err == nil || !strings.Contains(err.Error(), `unknown source format "gamma"`) ||
		!strings.Contains(err.Error(), "alpha, alphabet, beta") {
		t.Fatalf("Get(gamma) error %v", err)
	}
	tests := []struct {
		head, want, err string
	}{
		{head: "bcd", want: "beta"},
		{head: "axe", want: "alpha"},
		{head: "abc", err: "several formats (alpha, alphabet)"},
		{head: "zzz", err: "matches no known format"},
	}
	for _, tt := range tests {
		f, err := r.Detect([]byte(tt.head))
		switch {
		case tt.err != "":
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("Detect(%q) error %v, want %q", tt.head, err, tt.err)
			}
			if tt.head == "zzz" && !errors.Is(err, ErrUnrecognized) {
				t.Errorf("Detect(%q) error is not ErrUnrecognized", tt.head)
			}
		case err != nil || f.Name() != tt.want:
			t.Errorf("Detect(%q) = %v, %v; want %s", tt.head, f, err, tt.want)
		}
	}
}
