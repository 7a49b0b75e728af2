package jsonscan

import (
	"bytes"
	"errors"
)

// First is what the head of an input shows of its first record.
type First struct {
	// Envelope is as Record.Envelope.
	Envelope string
	// Keys are the record's member names, in order, as far as the head goes.
	Keys []string
	// Strings holds the values of the members among Keys whose value is a string.
	Strings map[string]string
	// Complete reports whether the whole record is in the head and valid.
	Complete bool
}

// Has reports whether the record has a member named key.
func (f *First) Has(key string) bool {
	for _, k := range f.Keys {
		if k == key {
			return true
		}
	}
	return false
}

// FirstRecord reads what head, the first bytes of an input, shows of its first record, read
// as a Reader with these envelopes reads it. ok is false unless that record is an object
// whose first member at least is in head.
func FirstRecord(head []byte, envelopes ...string) (f First, ok bool) {
	rd := NewReader(bytes.NewReader(head), len(head)+1, envelopes...)
	rec, err := rd.Next(nil)
	if err != nil || rec.Err != nil && !errors.Is(rec.Err, ErrTruncated) {
		return f, false
	}
	f.Envelope = rec.Envelope
	var d Decoder
	d.Reset(string(rec.Raw))
	if !d.Object() {
		return f, false
	}
	f.Strings = map[string]string{}
	for {
		key, more := d.Key()
		if !more {
			break
		}
		f.Keys = append(f.Keys, key)
		if d.Peek() == String {
			v := d.Str()
			if d.Err() == nil {
				f.Strings[key] = v
			}
		} else {
			d.Skip()
		}
	}
	f.Complete = rec.Err == nil && d.End() == nil
	return f, len(f.Keys) > 0
}
