package statuslist

import (
	"bytes"
	"compress/zlib"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/zhengzhao-project/zhengzhao"
)

// The examples of draft-ietf-oauth-status-list section 4.1 / Appendix C.
var draftExamples = []struct {
	name     string
	bits     int
	statuses []uint8
	bytes    []byte
	lst      string
}{
	{"1 bit", 1, []uint8{1, 0, 0, 1, 1, 1, 0, 1, 1, 1, 0, 0, 0, 1, 0, 1}, []byte{0xB9, 0xA3}, "eNrbuRgAAhcBXQ"},
	{"2 bits", 2, []uint8{1, 2, 0, 3, 0, 1, 0, 1, 1, 2, 3, 3}, []byte{0xC9, 0x44, 0xF9}, "eNo76fITAAPfAgc"},
}

// TestTokenDraftExamples: setting the draft's statuses gives the draft's
// bytes (LSB-first packing), and the draft's lst decodes to them.
func TestTokenDraftExamples(t *testing.T) {
	for _, ex := range draftExamples {
		t.Run(ex.name, func(t *testing.T) {
			l, err := New(len(ex.statuses), ex.bits)
			if err != nil {
				t.Fatal(err)
			}
			for i, s := range ex.statuses {
				if err := l.Set(i, s); err != nil {
					t.Fatal(err)
				}
			}
			if diff := cmp.Diff(ex.bytes, l.Bytes()); diff != "" {
				t.Errorf("bytes (-want +got):\n%s", diff)
			}
			lst, err := l.EncodeToken()
			if err != nil {
				t.Fatal(err)
			}
			// Go's compress/flate ends the stream with an empty final block
			// where Python's zlib (which made the draft's lst) does not, so
			// the strings differ; the decoded bytes must not.
			again, err := DecodeToken(lst, ex.bits)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(ex.bytes, again.Bytes()); diff != "" {
				t.Errorf("our lst %s decodes to (-want +got):\n%s", lst, diff)
			}
			d, err := DecodeToken(ex.lst, ex.bits)
			if err != nil {
				t.Fatal(err)
			}
			for i, s := range ex.statuses {
				if got, _ := d.Get(i); got != s {
					t.Errorf("status %d = %d, want %d", i, got, s)
				}
			}
		})
	}
}

// TestBitstringLayout: the W3C list is MSB-first (entry 0 is the high bit
// of byte 0), has the 16 KiB minimum and round-trips through encodedList.
func TestBitstringLayout(t *testing.T) {
	l, err := NewBitstring(10, 1)
	if err != nil {
		t.Fatal(err)
	}
	if l.Len() != 131072 {
		t.Errorf("len %d, want the 16 KiB minimum of 131072 entries", l.Len())
	}
	for _, i := range []int{0, 7, 9, 131071} {
		if err := l.Set(i, 1); err != nil {
			t.Fatal(err)
		}
	}
	if b := l.Bytes(); b[0] != 0x81 || b[1] != 0x40 || b[len(b)-1] != 0x01 {
		t.Errorf("bytes %x %x … %x, want 81 40 … 01", b[0], b[1], b[len(b)-1])
	}
	enc, err := l.EncodeBitstring()
	if err != nil {
		t.Fatal(err)
	}
	if enc[0] != 'u' {
		t.Errorf("no multibase prefix: %.10s", enc)
	}
	d, err := DecodeBitstring(enc, 1)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(l.Bytes(), d.Bytes()); diff != "" {
		t.Error("decoded bitstring differs")
	}
	two, err := NewBitstring(4, 2)
	if err != nil {
		t.Fatal(err)
	}
	if err := two.Set(0, 2); err != nil {
		t.Fatal(err)
	}
	if err := two.Set(3, 1); err != nil {
		t.Fatal(err)
	}
	if two.Bytes()[0] != 0x81 {
		t.Errorf("2-bit msb-first byte %08b, want 10000001", two.Bytes()[0])
	}
}

// TestStatusOf: revocation wins over an objection; an objection is the
// application-specific 0x03, not SUSPENDED.
func TestStatusOf(t *testing.T) {
	for _, tc := range []struct {
		revoked, objection bool
		want               uint8
	}{{false, false, Valid}, {true, false, Invalid}, {false, true, UnderObjection}, {true, true, Invalid}} {
		if got := StatusOf(tc.revoked, tc.objection); got != tc.want {
			t.Errorf("StatusOf(%v, %v) = %d, want %d", tc.revoked, tc.objection, got, tc.want)
		}
	}
	if UnderObjection != 0x03 || Suspended != 0x02 {
		t.Error("status values moved")
	}
}

func TestListRefuses(t *testing.T) {
	l, _ := New(8, 2)
	for name, err := range map[string]error{
		"bits 3":       func() error { _, err := New(8, 3); return err }(),
		"size 0":       func() error { _, err := New(0, 1); return err }(),
		"too many":     func() error { _, err := New(MaxEntries+1, 1); return err }(),
		"index -1":     l.Set(-1, 0),
		"index 8":      l.Set(8, 0),
		"value 4":      l.Set(0, 4),
		"lst not b64":  func() error { _, err := DecodeToken("***", 1); return err }(),
		"lst not zlib": func() error { _, err := DecodeToken("AAAA", 1); return err }(),
		"no u prefix":  func() error { _, err := DecodeBitstring("zAAAA", 1); return err }(),
		"short bitstring": func() error {
			s, _ := New(8, 1) // 1 byte: far under 16 KiB
			l := &List{bits: 1, order: msbFirst, n: 8, data: s.data}
			enc, _ := l.EncodeBitstring()
			_, err := DecodeBitstring(enc, 1)
			return err
		}(),
	} {
		if zhengzhao.ErrorCode(err) != zhengzhao.EINVALID {
			t.Errorf("%s: got %v, want an invalid error", name, err)
		}
	}
}

// TestInflateBomb: a small lst that inflates past MaxEntries is refused
// without allocating the whole output.
func TestInflateBomb(t *testing.T) {
	// One byte more than MaxEntries one-bit entries fill, compressed fast.
	var buf bytes.Buffer
	w, _ := zlib.NewWriterLevel(&buf, zlib.BestSpeed)
	if _, err := w.Write(make([]byte, MaxEntries/8+1)); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	lst := base64.RawURLEncoding.EncodeToString(buf.Bytes())
	if _, err := DecodeToken(lst, 1); zhengzhao.ErrorCode(err) != zhengzhao.EINVALID {
		t.Errorf("got %v, want refusal", err)
	}
}

func TestTokenSignVerify(t *testing.T) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	other, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	now := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	l, _ := New(1024, 2)
	_ = l.Set(5, Invalid)
	_ = l.Set(6, UnderObjection)
	tok := &Token{Subject: "https://zz.example/status/1", IssuedAt: now, Expires: now.Add(time.Hour), TTL: 5 * time.Minute, List: l}
	jwt, err := tok.Sign(jwa.ES256(), key, map[string]any{"kid": "k1"})
	if err != nil {
		t.Fatal(err)
	}
	keyOf := func(k *ecdsa.PrivateKey) KeyFunc {
		return func(context.Context, map[string]any, map[string]any) (any, error) { return &k.PublicKey, nil }
	}
	opts := VerifyOptions{Key: keyOf(key), Subject: tok.Subject, Now: func() time.Time { return now }}
	got, err := VerifyToken(context.Background(), jwt, opts)
	if err != nil {
		t.Fatal(err)
	}
	if got.TTL != 5*time.Minute || !got.Expires.Equal(tok.Expires) || got.Subject != tok.Subject {
		t.Errorf("token %+v", got)
	}
	for idx, want := range map[int]uint8{4: Valid, 5: Invalid, 6: UnderObjection} {
		if s, err := got.Status(Reference{Index: idx, URI: tok.Subject}); err != nil || s != want {
			t.Errorf("status %d = %d, %v; want %d", idx, s, err, want)
		}
	}
	for name, o := range map[string]VerifyOptions{
		"other key":   {Key: keyOf(other), Subject: tok.Subject, Now: opts.Now},
		"other sub":   {Key: keyOf(key), Subject: "https://zz.example/status/2", Now: opts.Now},
		"expired":     {Key: keyOf(key), Subject: tok.Subject, Now: func() time.Time { return now.Add(2 * time.Hour) }},
		"alg refused": {Key: keyOf(key), Subject: tok.Subject, Now: opts.Now, Algorithms: []string{"EdDSA"}},
	} {
		if _, err := VerifyToken(context.Background(), jwt, o); zhengzhao.ErrorCode(err) != zhengzhao.EINVALID {
			t.Errorf("%s: got %v, want refusal", name, err)
		}
	}
	if _, err := got.Status(Reference{Index: 1 << 20, URI: tok.Subject}); err == nil {
		t.Error("index outside the list accepted")
	}
}

// TestAllocatorUniqueAndFull: every index is handed out once, in an order
// that is not sequential, and a full list says ErrFull.
func TestAllocatorUniqueAndFull(t *testing.T) {
	const n = 1000
	a := NewAllocator(n, nil)
	seen := make(map[int]bool)
	var order []int
	for range n {
		i, err := a.Next()
		if err != nil {
			t.Fatal(err)
		}
		if i < 0 || i >= n || seen[i] {
			t.Fatalf("index %d out of range or handed out twice", i)
		}
		seen[i] = true
		order = append(order, i)
	}
	if _, err := a.Next(); err != ErrFull {
		t.Errorf("full list: got %v", err)
	}
	ascending := 0
	for k := 1; k < n; k++ {
		if order[k] > order[k-1] {
			ascending++
		}
	}
	// A random order ascends about half the time; sequential would be n-1.
	if ascending < n/3 || ascending > 2*n/3 {
		t.Errorf("%d of %d steps ascend: order looks sequential", ascending, n-1)
	}
}

// TestAllocatorUniform: with the list nearly full (the fallback path),
// each remaining free index is still chosen about equally often.
func TestAllocatorUniform(t *testing.T) {
	const n, free, rounds = 4096, 4, 4000
	counts := make(map[int]int)
	for range rounds {
		a := NewAllocator(n, nil)
		for i := 0; i < n; i++ {
			if i%1024 != 3 { // leave 3, 1027, 2051, 3075 free
				_ = a.Mark(i)
			}
		}
		if a.Free() != free {
			t.Fatalf("free %d", a.Free())
		}
		i, err := a.Next()
		if err != nil {
			t.Fatal(err)
		}
		counts[i]++
	}
	for i, c := range counts {
		if i%1024 != 3 {
			t.Fatalf("taken index %d handed out", i)
		}
		// Expected 1000 each; 6 sigma is about ±165.
		if c < 800 || c > 1200 {
			t.Errorf("index %d chosen %d times of %d, want about %d", i, c, rounds, rounds/free)
		}
	}
	if len(counts) != free {
		t.Errorf("%d distinct indexes chosen, want %d", len(counts), free)
	}
}
