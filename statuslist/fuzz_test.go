package statuslist

import (
	"testing"
)

// FuzzDecodeToken: the IETF decoder never panics, and what it accepts
// re-encodes to a list with the same bytes.
func FuzzDecodeToken(f *testing.F) {
	for _, ex := range draftExamples {
		f.Add(ex.lst, ex.bits)
	}
	f.Add("eNrbuRgAAhcBXQ", 3)
	f.Fuzz(func(t *testing.T, lst string, bits int) {
		l, err := DecodeToken(lst, bits)
		if err != nil {
			return
		}
		enc, err := l.EncodeToken()
		if err != nil {
			t.Fatal(err)
		}
		again, err := DecodeToken(enc, bits)
		if err != nil || string(again.Bytes()) != string(l.Bytes()) {
			t.Fatalf("re-encoding changed the list: %v", err)
		}
		if _, err := l.Get(l.Len() - 1); err != nil {
			t.Fatalf("last entry unreadable: %v", err)
		}
	})
}

// FuzzDecodeBitstring: the W3C decoder never panics, and what it accepts
// round-trips.
func FuzzDecodeBitstring(f *testing.F) {
	l, _ := NewBitstring(1, 1)
	_ = l.Set(42, 1)
	enc, _ := l.EncodeBitstring()
	f.Add(enc, 1)
	f.Add("uH4sIAAAAAAAAA2NgAAAAAP__", 1)
	f.Fuzz(func(t *testing.T, s string, size int) {
		l, err := DecodeBitstring(s, size)
		if err != nil {
			return
		}
		enc, err := l.EncodeBitstring()
		if err != nil {
			t.Fatal(err)
		}
		again, err := DecodeBitstring(enc, size)
		if err != nil || string(again.Bytes()) != string(l.Bytes()) {
			t.Fatalf("re-encoding changed the list: %v", err)
		}
	})
}
