package zhengzhao_test

import (
	"strings"
	"testing"

	"github.com/zhengzhao-project/zhengzhao"
)

func TestLicenseIDCheckCharacter(t *testing.T) {
	id := zhengzhao.LicenseID{TypeCode: "A12425GABC1234002AAAA", IssuerCode: "913100007178992900", Serial: "X1", Version: 1}
	if c := id.CheckChar(); !strings.ContainsRune(alnum, rune(c)) {
		t.Fatalf("check char %q outside 0-9A-Z", c)
	}
	parsed, err := zhengzhao.ParseLicenseID(id.String())
	if err != nil {
		t.Fatalf("ParseLicenseID(%s): %v", id, err)
	}
	if parsed != id {
		t.Fatalf("got %+v, want %+v", parsed, id)
	}
}

const alnum = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"

func TestISO7064Example(t *testing.T) {
	// The standard's worked example for MOD 37,36.
	if got := zhengzhao.MOD3736("A12425GABC1234002"); got != 'M' {
		t.Fatalf("MOD3736(A12425GABC1234002) = %c, want M", got)
	}
}

func TestParseLicenseIDErrors(t *testing.T) {
	good := zhengzhao.LicenseID{TypeCode: "11100000MB0143028R001", IssuerCode: "11310000MB2F38611Q", Serial: "ABC123", Version: 2}.String()
	cases := map[string]string{
		"ok":              good,
		"fail/root":       strings.Replace(good, "1.2.156.3005.2", "1.2.156.3005.3", 1),
		"fail/check":      good[:len(good)-1] + flip(good[len(good)-1]),
		"fail/version000": strings.Replace(good, ".002.", ".000.", 1),
		"fail/lowercase":  strings.Replace(good, "ABC123", "abc123", 1),
		"fail/parts":      good + ".X",
		"fail/empty":      "",
	}
	for name, s := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := zhengzhao.ParseLicenseID(s)
			if (err == nil) != (name == "ok") {
				t.Fatalf("ParseLicenseID(%q) error = %v", s, err)
			}
			if err != nil && zhengzhao.ErrorCode(err) != zhengzhao.EINVALID {
				t.Fatalf("code = %s, want invalid", zhengzhao.ErrorCode(err))
			}
		})
	}
}

func flip(c byte) string {
	if c == '0' {
		return "1"
	}
	return "0"
}

func TestValidateUSCC(t *testing.T) {
	cases := map[string]bool{
		"91350100M000100Y43": true, // GB 32100 example
		"91350100M000100Y44": false,
		"91350100M000100Y4":  false,
		"91350100M0001O0Y43": false, // O is not in the alphabet
		"":                   false,
		"9135010OM000100Y43": false,
	}
	for code, ok := range cases {
		if err := zhengzhao.ValidateUSCC(code); (err == nil) != ok {
			t.Errorf("ValidateUSCC(%q) = %v, want ok=%v", code, err, ok)
		}
	}
}

func TestValidateResidentID(t *testing.T) {
	cases := map[string]bool{
		"11010519491231002X": true,  // GB 11643 example
		"110105194912310021": false, // wrong check digit
		"110105194902300021": false, // 30 February
		"110105209912310021": false, // born in the future
		"990105194912310021": false, // no province 99
		"11010519491231002":  false,
		"11010519491231002x": false, // lower-case x
	}
	for id, ok := range cases {
		if err := zhengzhao.ValidateResidentID(id); (err == nil) != ok {
			t.Errorf("ValidateResidentID(%q) = %v, want ok=%v", id, err, ok)
		}
	}
}

func TestValidateRegionCode(t *testing.T) {
	for code, ok := range map[string]bool{"310115": true, "110000": true, "990000": false, "31011": false, "3101a5": false} {
		if err := zhengzhao.ValidateRegionCode(code); (err == nil) != ok {
			t.Errorf("ValidateRegionCode(%q) = %v, want ok=%v", code, err, ok)
		}
	}
}

func FuzzParseLicenseID(f *testing.F) {
	f.Add(zhengzhao.LicenseID{TypeCode: "11100000MB0143028R001", IssuerCode: "11310000MB2F38611Q", Serial: "ABC123", Version: 2}.String())
	f.Add("1.2.156.3005.2....")
	f.Fuzz(func(t *testing.T, s string) {
		id, err := zhengzhao.ParseLicenseID(s)
		if err != nil {
			return
		}
		// Round trip: a parsed ID prints back to the same string.
		if got := id.String(); got != s {
			t.Fatalf("ParseLicenseID(%q).String() = %q", s, got)
		}
	})
}

func FuzzLicenseIDRoundTrip(f *testing.F) {
	f.Add("11100000MB0143028R001", "11310000MB2F38611Q", "ABC", 1)
	f.Fuzz(func(t *testing.T, typ, issuer, serial string, version int) {
		id := zhengzhao.LicenseID{TypeCode: typ, IssuerCode: issuer, Serial: serial, Version: version}
		got, err := zhengzhao.ParseLicenseID(id.String())
		if err != nil {
			return // not a well-formed ID; ParseLicenseID must just not panic
		}
		if got != id {
			t.Fatalf("round trip %+v -> %+v", id, got)
		}
	})
}

func FuzzValidateUSCC(f *testing.F) {
	f.Add("91350100M000100Y43")
	f.Fuzz(func(t *testing.T, s string) {
		err := zhengzhao.ValidateUSCC(s)
		if err == nil {
			// A valid code's check character is the computed one.
			if c, ok := zhengzhao.USCCCheckChar(s[:17]); !ok || c != s[17] {
				t.Fatalf("ValidateUSCC accepted %q with a wrong check", s)
			}
			return
		}
		if len(s) == 18 {
			if c, ok := zhengzhao.USCCCheckChar(s[:17]); ok && c == s[17] && strings.Trim(s[2:8], "0123456789") == "" {
				t.Fatalf("ValidateUSCC rejected %q: %v", s, err)
			}
		}
	})
}

func FuzzValidateResidentID(f *testing.F) {
	f.Add("11010519491231002X")
	f.Fuzz(func(t *testing.T, s string) {
		if err := zhengzhao.ValidateResidentID(s); err == nil {
			if c, ok := zhengzhao.ResidentIDCheckChar(s[:17]); !ok || c != s[17] {
				t.Fatalf("accepted %q with a wrong check digit", s)
			}
		}
	})
}
