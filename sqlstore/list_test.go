package sqlstore

import (
	"encoding/base64"
	"testing"

	"github.com/zhengzhao-project/zhengzhao"
)

// TestCursor pins down the one cursor decoding both stores share: a
// cursor decodes to the key it was made from, and anything else — not
// base64url, a negative key, a key with a sign or leading zeros, padding —
// is EINVALID (the stores once decoded differently).
func TestCursor(t *testing.T) {
	for _, key := range []int64{0, 1, 1 << 40, 4611686018427387903} {
		got, err := DecodeCursor("op", EncodeCursor(key))
		if err != nil || got != key {
			t.Errorf("cursor of %d decodes to %d, %v", key, got, err)
		}
	}
	if got, err := DecodeCursor("op", ""); err != nil || got != -1 {
		t.Errorf(`DecodeCursor("") = %d, %v; want -1 (the first page)`, got, err)
	}
	b64 := base64.RawURLEncoding.EncodeToString
	for _, c := range []string{"not a cursor!", "LTE", "YQ", b64([]byte("-1")), b64([]byte("+1")), b64([]byte("01")),
		b64([]byte(" 1")), base64.URLEncoding.EncodeToString([]byte("1")), b64([]byte("99999999999999999999"))} {
		if _, err := DecodeCursor("op", c); zhengzhao.ErrorCode(err) != zhengzhao.EINVALID {
			t.Errorf("DecodeCursor(%q) = %v, want invalid", c, err)
		}
	}
}

func TestRebind(t *testing.T) {
	d := &Dialect{Numbered: true}
	for q, want := range map[string]string{
		"SELECT ? FROM t WHERE a = ? AND b = '?'": "SELECT $1 FROM t WHERE a = $2 AND b = '?'",
		`SELECT "?" , ?`: `SELECT "?" , $1`,
		"SELECT 1":       "SELECT 1",
	} {
		if got := d.Rebind(q); got != want {
			t.Errorf("Rebind(%q) = %q, want %q", q, got, want)
		}
		if got := (&Dialect{}).Rebind(q); got != q {
			t.Errorf("Rebind without numbers changed %q to %q", q, got)
		}
	}
}

func TestSafeText(t *testing.T) {
	cut := "错误"[:4] // a character cut after its first byte
	for in, want := range map[string]string{"ok": "ok", cut: "错\uFFFD", "a\x00b": "a\uFFFDb"} {
		if got := SafeText(in); got != want || !ValidText(got) {
			t.Errorf("SafeText(%q) = %q, want %q", in, got, want)
		}
	}
}
