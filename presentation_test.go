package zhengzhao_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/zhengzhao-project/zhengzhao"
)

const sampleLicense = "1.2.156.3005.2.11100000MB0143028R001.11310000MB2F38611K.MX1WD1LYLN038.001.X"

func sampleToken(t testing.TB) *zhengzhao.DisplayToken {
	id := zhengzhao.LicenseID{TypeCode: "11100000MB0143028R001", IssuerCode: "11310000MB2F38611K", Serial: "0MX1WD1LYLN038", Version: 2}
	tok := &zhengzhao.DisplayToken{Expires: time.Unix(1_800_000_000, 0).UTC(), LicenseID: id.String(),
		Fields:    []zhengzhao.DisplayField{{Key: "vehicle_class", Value: "C1"}, {Key: "holder.name", Value: "王秀英"}},
		Signature: bytes.Repeat([]byte{7}, zhengzhao.DisplaySignatureSize)}
	copy(tok.KeyHandle[:], "kh01")
	copy(tok.Nonce[:], "nonce-08")
	return tok
}

func TestDisplayTokenRoundTrip(t *testing.T) {
	for name, mutate := range map[string]func(*zhengzhao.DisplayToken){
		"inline":    func(*zhengzhao.DisplayToken) {},
		"no fields": func(tk *zhengzhao.DisplayToken) { tk.Fields = []zhengzhao.DisplayField{} },
		"fields by digest": func(tk *zhengzhao.DisplayToken) {
			tk.Fields, tk.DisclosureDigest = nil, zhengzhao.DisplayDigest([]byte("d"))
		},
		"license by digest": func(tk *zhengzhao.DisplayToken) {
			tk.LicenseID, tk.LicenseDigest = "", zhengzhao.DisplayDigest([]byte(sampleLicense))
		},
	} {
		t.Run(name, func(t *testing.T) {
			tok := sampleToken(t)
			mutate(tok)
			s, err := tok.Encode()
			if err != nil {
				t.Fatal(err)
			}
			got, err := zhengzhao.ParseDisplayToken(s)
			if err != nil {
				t.Fatal(err)
			}
			again, err := got.Encode()
			if err != nil || again != s {
				t.Fatalf("round trip: %q\n        -> %q (%v)", s, again, err)
			}
			if got.LicenseID != tok.LicenseID || !got.Expires.Equal(tok.Expires) {
				t.Errorf("got %+v", got)
			}
		})
	}
	// A typical ID packs into 38 bytes; with the header, a short field and
	// the signature the URL stays within a version-10 QR code for a short
	// base.
	small := sampleToken(t)
	small.Fields = small.Fields[:1]
	s, _ := small.Encode()
	if n := len("http://127.0.0.1:8080/v/") + len(s); n > 213 {
		t.Errorf("URL of %d bytes does not fit QR 10-M", n)
	}
}

// FuzzParseDisplayToken: whatever parses re-encodes to the same text, so
// one token has one form and a changed byte never parses to an equal
// token.
func FuzzParseDisplayToken(f *testing.F) {
	s, _ := sampleToken(f).Encode()
	f.Add(s)
	tok := sampleToken(f)
	tok.Fields, tok.DisclosureDigest = nil, zhengzhao.DisplayDigest([]byte("d"))
	s, _ = tok.Encode()
	f.Add(s)
	f.Add("")
	f.Add("AQ")
	f.Fuzz(func(t *testing.T, s string) {
		tok, err := zhengzhao.ParseDisplayToken(s)
		if err != nil {
			if zhengzhao.ErrorCode(err) != zhengzhao.EINVALID {
				t.Fatalf("error code %q", zhengzhao.ErrorCode(err))
			}
			return
		}
		again, err := tok.Encode()
		if err != nil {
			t.Fatalf("a parsed token does not encode: %v", err)
		}
		if again != s {
			t.Fatalf("not canonical: %q re-encodes as %q", s, again)
		}
	})
}
