package sign

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gowebpki/jcs"

	"github.com/zhengzhao-project/zhengzhao"
)

var update = flag.Bool("update", false, "update the golden files in testdata")

// TestCanonicalGolden pins the bytes a license is signed over: a change in
// the License encoding or in canonicalization breaks every signature
// already issued.
func TestCanonicalGolden(t *testing.T) {
	got, err := Canonicalize(marshal(t, testLicense()), zhengzhao.UnsignedFields)
	if err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "canonical.golden")
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("canonical form changed (run go test -update if intended)\ngot  %s\nwant %s", got, want)
	}
}

func TestCanonicalize(t *testing.T) {
	tests := []struct {
		name string
		in   string
		omit []string
		want string
	}{
		{"sorted", `{"b":1,"a":2}`, nil, `{"a":2,"b":1}`},
		{"whitespace", " {\n\t\"a\" : [ 1 , 2 ] } \n", nil, `{"a":[1,2]}`},
		{"escapes", `{"a":"\u4e2d\u6587\/","b":"<&>"}`, nil, `{"a":"中文/","b":"<&>"}`},
		{"control", `{"a":"\u0001\n"}`, nil, `{"a":"\u0001\n"}`},
		{"numbers", `{"a":1.0,"b":-0,"c":1e21,"d":0.000001,"e":1E-7,"f":12345678901234567890}`, nil,
			`{"a":1,"b":0,"c":1e+21,"d":0.000001,"e":1e-7,"f":12345678901234567000}`},
		{"utf16 order", `{"ｚ":1,"😀":2,"a":3}`, nil, `{"a":3,"😀":2,"ｚ":1}`},
		{"omit", `{"status":"valid","proof":{"x":1},"a":{"status":"kept"}}`, zhengzhao.UnsignedFields, `{"a":{"status":"kept"}}`},
		{"omit absent", `{ "a" : 1 }`, zhengzhao.UnsignedFields, `{"a":1}`},
		{"omit all", `{"status":"valid"}`, zhengzhao.UnsignedFields, `{}`},
		{"omit tricky strings", `{"a\"\\":"},[","status":"\"}","proof":{"\\":"\\\""},"z":[{"s":"\\"},"]"]}`, zhengzhao.UnsignedFields,
			`{"a\"\\":"},[","z":[{"s":"\\"},"]"]}`},
		{"omit after escapes", `{"status":1,"b":"<\u0026>","a":"\u2028"}`, []string{"status"}, "{\"a\":\"\u2028\",\"b\":\"<&>\"}"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Canonicalize([]byte(tt.in), tt.omit)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}

	for name, in := range map[string]string{
		"array":          `[1]`,
		"string":         `"a"`,
		"number":         `1`,
		"null":           `null`,
		"empty":          ``,
		"truncated":      `{"a":1`,
		"trailing":       `{"a":1} x`,
		"two values":     `{} {}`,
		"duplicate":      `{"a":1,"a":2}`,
		"nested dup":     `{"a":{"b":1,"b":1}}`,
		"escaped dup":    `{"a":1,"\u0061":1}`,
		"dup omitted":    `{"status":1,"status":2}`,
		"bad utf8":       "{\"a\":\"\xff\"}",
		"lone surrogate": `{"a":"\udc00"}`,
		"leading zero":   `{"a":01}`,
		"out of range":   `{"a":1e400}`,
		"single quotes":  `{'a':1}`,
	} {
		if got, err := Canonicalize([]byte(in), zhengzhao.UnsignedFields); err == nil {
			t.Errorf("%s: Canonicalize(%q) = %s, want error", name, in, got)
		}
	}
}

func TestSignDocument(t *testing.T) {
	ca := newTestCA(t)
	ts, err := NewTrustStore(ca.CertPEM())
	if err != nil {
		t.Fatal(err)
	}
	for _, alg := range algs {
		t.Run(alg, func(t *testing.T) {
			s := newTestSigner(t, ca, alg, issuerCode)
			lic := testLicense()
			doc := signLicense(t, s, lic)
			if lic.Proof.Alg != alg || lic.Proof.KID != s.KeyID() || lic.Proof.Cert == "" {
				t.Fatalf("proof = %+v", lic.Proof)
			}
			c := mustVerify(t, ts, doc)
			if c.Alg != alg || c.KID != s.KeyID() || c.IssuerCode != issuerCode {
				t.Errorf("check = %+v", c)
			}
			// A stored document decoded into a License and encoded again
			// still verifies.
			var back zhengzhao.License
			if err := json.Unmarshal(doc, &back); err != nil {
				t.Fatal(err)
			}
			mustVerify(t, ts, marshal(t, &back))
		})
	}
}

func TestSignDocumentOtherIssuer(t *testing.T) {
	ca := newTestCA(t)
	s := newTestSigner(t, ca, zhengzhao.AlgSM2SM3, otherCode)
	if _, err := SignDocument(s, marshal(t, testLicense())); err == nil {
		t.Fatal("SignDocument signed another unit's license")
	}
	if _, err := SignDocument(s, []byte(`[1]`)); err == nil {
		t.Fatal("SignDocument signed an array")
	}
}

// TestTamper changes every byte of the signed members, one at a time: each
// change must break the signature. Changes to the lifecycle members must not.
func TestTamper(t *testing.T) {
	ca := newTestCA(t)
	ts, _ := NewTrustStore(ca.CertPEM())
	s := newTestSigner(t, ca, zhengzhao.AlgEdDSA, issuerCode)
	lic := testLicense()
	signed, err := Canonicalize(marshal(t, lic), zhengzhao.UnsignedFields)
	if err != nil {
		t.Fatal(err)
	}
	p, err := SignDocument(s, signed)
	if err != nil {
		t.Fatal(err)
	}
	mustVerify(t, ts, withMember(signed, "proof", p))

	for i := 1; i < len(signed)-1; i++ {
		changed := bytes.Clone(signed)
		changed[i] ^= 0x01
		c := ts.VerifyDocument(withMember(changed, "proof", p), t0)
		if c.Signature {
			t.Errorf("byte %d changed (%q → %q) and the signature still verifies", i, signed[i], changed[i])
		}
		if len(c.Reasons) == 0 {
			t.Errorf("byte %d changed: no reason given", i)
		}
	}

	doc := withMember(signed, "proof", p)
	for _, extra := range [][2]any{
		{"status", zhengzhao.StatusRevoked},
		{"superseded_by", "1.2.156.3005.2.11310000MB2F3A1K91001.11310000MB2F3A1K91.2026000123.002.X"},
		{"revoked_at", "2027-01-01T00:00:00Z"},
		{"revocation_reason", "申请注销"},
	} {
		doc = withMember(doc, extra[0].(string), extra[1])
		mustVerify(t, ts, doc)
	}
	for _, extra := range [][2]any{{"remark", "added"}, {"issuer_name", "x"}} {
		if c := ts.VerifyDocument(withMember(doc, extra[0].(string), extra[1]), t0); c.Signature {
			t.Errorf("member %q added and the signature still verifies", extra[0])
		}
	}
	var m map[string]any
	json.Unmarshal(doc, &m)
	delete(m, "number")
	if c := ts.VerifyDocument(marshal(t, m), t0); c.Signature {
		t.Error("member number removed and the signature still verifies")
	}
}

// TestReformat checks that member order, whitespace and string escapes do
// not matter: a verifier may reformat the document it received.
func TestReformat(t *testing.T) {
	ca := newTestCA(t)
	ts, _ := NewTrustStore(ca.CertPEM())
	s := newTestSigner(t, ca, zhengzhao.AlgSM2SM3, issuerCode)
	doc := signLicense(t, s, testLicense())

	var m map[string]any
	d := json.NewDecoder(bytes.NewReader(doc))
	d.UseNumber()
	if err := d.Decode(&m); err != nil {
		t.Fatal(err)
	}
	indented, err := json.MarshalIndent(m, "", "    ") // other order, escaped <>&
	if err != nil {
		t.Fatal(err)
	}
	escaped := bytes.ReplaceAll(indented, []byte("营业执照"), []byte(`\u8425\u4e1a\u6267\u7167`))
	if bytes.Equal(escaped, indented) {
		t.Fatal("type name not found")
	}
	for name, doc := range map[string][]byte{"indented": indented, "escaped": escaped} {
		t.Run(name, func(t *testing.T) { mustVerify(t, ts, doc) })
	}
}

// TestChinese checks that Chinese text is signed as UTF-8 and that a
// changed character is caught.
func TestChinese(t *testing.T) {
	ca := newTestCA(t)
	ts, _ := NewTrustStore(ca.CertPEM())
	s := newTestSigner(t, ca, zhengzhao.AlgSM2SM3, issuerCode)
	doc := signLicense(t, s, testLicense())
	canon, _ := Canonicalize(doc, zhengzhao.UnsignedFields)
	if !bytes.Contains(canon, []byte(`"name":"上海证照科技有限公司"`)) {
		t.Fatalf("canonical form does not hold the holder's name as UTF-8: %s", canon)
	}
	changed := bytes.Replace(doc, []byte("上海证照科技有限公司"), []byte("上海证照科枝有限公司"), 1)
	c := ts.VerifyDocument(changed, t0)
	if c.Signature || !hasReason(c, "signature does not match the document") {
		t.Errorf("changed holder name: %+v", c)
	}
}

// TestLargeInteger checks a face field beyond 2^53. RFC 8785 reads it as a
// double, so sign and verify agree however the document is decoded and
// encoded again, at the cost of the digits below double precision.
func TestLargeInteger(t *testing.T) {
	ca := newTestCA(t)
	ts, _ := NewTrustStore(ca.CertPEM())
	s := newTestSigner(t, ca, zhengzhao.AlgES256, issuerCode)
	lic := testLicense()
	lic.Fields["registered_capital"] = json.Number("12345678901234567890")
	doc := signLicense(t, s, lic)
	if !bytes.Contains(doc, []byte(`"registered_capital":12345678901234567890`)) {
		t.Fatalf("document lost the number's digits: %s", doc)
	}
	canon, _ := Canonicalize(doc, zhengzhao.UnsignedFields)
	if !bytes.Contains(canon, []byte(`"registered_capital":12345678901234567000`)) {
		t.Fatalf("canonical form: %s", canon)
	}
	mustVerify(t, ts, doc)

	var back zhengzhao.License // keeps json.Number
	if err := json.Unmarshal(doc, &back); err != nil {
		t.Fatal(err)
	}
	reencoded := marshal(t, &back)
	if !bytes.Contains(reencoded, []byte(`12345678901234567890`)) {
		t.Fatalf("License round trip changed the number: %s", reencoded)
	}
	mustVerify(t, ts, reencoded)

	var generic map[string]any // float64: prints 12345678901234567000
	json.Unmarshal(doc, &generic)
	mustVerify(t, ts, marshal(t, generic))

	// The documented limit: a change below double precision goes unseen.
	// Face fields that need every digit are strings.
	sameDouble := bytes.Replace(doc, []byte("12345678901234567890"), []byte("12345678901234567891"), 1)
	mustVerify(t, ts, sameDouble)
	otherDouble := bytes.Replace(doc, []byte("12345678901234567890"), []byte("12345678901234569890"), 1)
	if c := ts.VerifyDocument(otherDouble, t0); c.Signature {
		t.Error("a changed number verifies")
	}
}

func TestVerifyDocumentTrust(t *testing.T) {
	ca := newTestCA(t)
	ts, _ := NewTrustStore(ca.CertPEM())

	t.Run("other CA", func(t *testing.T) {
		other := newTestCA(t)
		s := newTestSigner(t, other, zhengzhao.AlgSM2SM3, issuerCode)
		c := ts.VerifyDocument(signLicense(t, s, testLicense()), t0)
		if !c.Signature || c.IssuerTrusted || !hasReason(c, "certificate not issued by a trusted CA") {
			t.Errorf("check = %+v", c)
		}
	})

	t.Run("other unit", func(t *testing.T) {
		// Unit A's certificate on a document that claims issuer B.
		a := newTestSigner(t, ca, zhengzhao.AlgSM2SM3, otherCode)
		bare, _ := NewSigner(a.key, "")
		lic := testLicense()
		doc := signLicense(t, bare, lic)
		lic.Proof.Cert = encodeBase64(a.CertDER())
		c := ts.VerifyDocument(marshal(t, lic), t0)
		want := "certificate belongs to unit " + otherCode + ", not to the document's issuer " + issuerCode
		if !c.Signature || c.IssuerTrusted || c.IssuerCode != otherCode || !hasReason(c, want) {
			t.Errorf("check = %+v", c)
		}
		// Without the certificate, the key is unknown.
		c = ts.VerifyDocument(doc, t0)
		if c.Signature || c.IssuerTrusted || !hasReason(c, "no certificate for key") {
			t.Errorf("check = %+v", c)
		}
	})

	t.Run("signed_at outside the certificate", func(t *testing.T) {
		s := newTestSigner(t, ca, zhengzhao.AlgEdDSA, issuerCode)
		for _, at := range []string{"2026-11-28T23:59:59Z", "2028-11-29T04:00:01Z"} {
			lic := testLicense()
			lic.SignedAt = mustTime(t, at)
			c := ts.VerifyDocument(signLicense(t, s, lic), t0)
			if !c.Signature || c.IssuerTrusted || !hasReason(c, "certificate was not valid at "+at) {
				t.Errorf("signed at %s: %+v", at, c)
			}
		}
	})

	t.Run("no signed_at", func(t *testing.T) {
		s := newTestSigner(t, ca, zhengzhao.AlgEdDSA, issuerCode)
		var m map[string]any
		json.Unmarshal(marshal(t, testLicense()), &m)
		delete(m, "signed_at")
		delete(m, "proof")
		p, err := SignDocument(s, marshal(t, m))
		if err != nil {
			t.Fatal(err)
		}
		m["proof"] = p
		doc := marshal(t, m)
		mustVerify(t, ts, doc)
		if c := ts.VerifyDocument(doc, t0.AddDate(3, 0, 0)); !c.Signature || c.IssuerTrusted {
			t.Errorf("verified after expiry: %+v", c)
		}
	})

	t.Run("CA expired", func(t *testing.T) {
		// The unit certificate outlives the CA: verified once within both
		// (and so remembered), a later document must still fail.
		key, _ := GenerateKey(zhengzhao.AlgES256)
		certPEM, err := ca.IssueCertificate(issuerCode, "x", key.Public(), t0, t0.AddDate(30, 0, 0))
		if err != nil {
			t.Fatal(err)
		}
		s, _ := NewSigner(key, certPEM)
		mustVerify(t, ts, signLicense(t, s, testLicense()))
		lic := testLicense()
		lic.SignedAt = t0.AddDate(25, 0, 0)
		c := ts.VerifyDocument(signLicense(t, s, lic), t0)
		if !c.Signature || c.IssuerTrusted || !hasReason(c, "the CA certificate was not valid at 2051-11-29T04:00:00Z") {
			t.Errorf("check = %+v", c)
		}
	})

	t.Run("CA certificate as signer", func(t *testing.T) {
		caSigner, err := NewSigner(ca.key, ca.CertPEM())
		if err != nil {
			t.Fatal(err)
		}
		lic := testLicense()
		lic.Issuer.Code = ""
		c := ts.VerifyDocument(signLicense(t, caSigner, lic), t0)
		if !c.Signature || c.IssuerTrusted || !hasReason(c, "not for signing documents") {
			t.Errorf("check = %+v", c)
		}
	})
}

// TestVerifyDocumentKnownIssuer verifies a proof without a certificate
// against the issuer certificates of a trust bundle, as
// `zhengzhao verify --keys keys.pem` does.
func TestVerifyDocumentKnownIssuer(t *testing.T) {
	ca := newTestCA(t)
	s := newTestSigner(t, ca, zhengzhao.AlgSM2SM3, issuerCode)
	bare, _ := NewSigner(s.key, "")
	lic := testLicense()
	doc := signLicense(t, bare, lic)
	if lic.Proof.Cert != "" {
		t.Fatal("proof has a certificate")
	}
	other := newTestSigner(t, ca, zhengzhao.AlgES256, otherCode)
	bundle := ca.CertPEM() + encodeCertPEM(s.CertDER()) + "junk\n" + encodeCertPEM(other.CertDER())
	ts, err := ParseTrustBundle([]byte(bundle))
	if err != nil {
		t.Fatal(err)
	}
	mustVerify(t, ts, doc)

	ts, _ = NewTrustStore(ca.CertPEM())
	if c := ts.VerifyDocument(doc, t0); c.Signature || !hasReason(c, "no certificate for key") {
		t.Errorf("check = %+v", c)
	}
	if err := ts.AddIssuerCert(encodeCertPEM(s.CertDER())); err != nil {
		t.Fatal(err)
	}
	mustVerify(t, ts, doc)

	// A bundle without its CA trusts nobody.
	ts, err = ParseTrustBundle([]byte(encodeCertPEM(s.CertDER())))
	if err != nil {
		t.Fatal(err)
	}
	if c := ts.VerifyDocument(doc, t0); !c.Signature || c.IssuerTrusted {
		t.Errorf("check = %+v", c)
	}
}

func TestTrustStoreErrors(t *testing.T) {
	for name, in := range map[string]string{
		"empty":   "",
		"no cert": "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
		"garbage": "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
	} {
		if _, err := ParseTrustBundle([]byte(in)); err == nil {
			t.Errorf("ParseTrustBundle(%s) succeeded", name)
		}
		if _, err := NewTrustStore(in); err == nil {
			t.Errorf("NewTrustStore(%s) succeeded", name)
		}
		ts, _ := NewTrustStore()
		if err := ts.AddIssuerCert(in); err == nil {
			t.Errorf("AddIssuerCert(%s) succeeded", name)
		}
	}
}

// TestVerifyDocumentMalformed feeds broken documents: each is a check with
// reasons, never a panic.
func TestVerifyDocumentMalformed(t *testing.T) {
	ca := newTestCA(t)
	ts, _ := NewTrustStore(ca.CertPEM())
	s := newTestSigner(t, ca, zhengzhao.AlgSM2SM3, issuerCode)
	lic := testLicense()
	good := signLicense(t, s, lic)
	proof := *lic.Proof

	withProof := func(f func(p *zhengzhao.Proof)) []byte {
		l := testLicense()
		p := proof
		f(&p)
		l.Proof = &p
		return marshal(t, l)
	}
	otherKey := newTestSigner(t, ca, zhengzhao.AlgSM2SM3, issuerCode)

	tests := []struct {
		name      string
		doc       []byte
		signature bool
		trusted   bool
		reason    string
	}{
		{"not JSON", []byte(`{"id":`), false, false, "invalid JSON"},
		{"array", []byte(`[1,2]`), false, false, "not a JSON object"},
		{"string", []byte(`"license"`), false, false, "not a JSON object"},
		{"null", []byte(`null`), false, false, "proof missing"},
		{"empty object", []byte(`{}`), false, false, "proof missing"},
		{"proof missing", bytes.Replace(good, []byte(`"proof"`), []byte(`"proof_"`), 1), false, false, "proof missing"},
		{"proof not an object", withMember([]byte(`{"id":"x"}`), "proof", 5), false, false, "member proof has the wrong type"},
		{"value not base64url", withProof(func(p *zhengzhao.Proof) { p.Value = "a+b/" }), false, true, "not base64url"},
		{"value changed", withProof(func(p *zhengzhao.Proof) {
			p.Value = p.Value[:len(p.Value)-4] + "AAAA"
		}), false, true, "signature does not match the document"},
		{"cert not base64", withProof(func(p *zhengzhao.Proof) { p.Cert = "%%%" }), false, false, "certificate is malformed"},
		{"cert not DER", withProof(func(p *zhengzhao.Proof) { p.Cert = "AAAA" }), false, false, "certificate is malformed"},
		{"alg mismatch", withProof(func(p *zhengzhao.Proof) { p.Alg = zhengzhao.AlgES256 }), false, true, `algorithm "ES256" does not fit the certificate's key (SM2-SM3)`},
		{"unknown alg", withProof(func(p *zhengzhao.Proof) { p.Alg = "none" }), false, true, `algorithm "none"`},
		{"kid mismatch", withProof(func(p *zhengzhao.Proof) { p.KID = otherKey.KeyID() }), true, false, "not the proof's key"},
		{"other key's cert", withProof(func(p *zhengzhao.Proof) { p.Cert = encodeBase64(otherKey.CertDER()) }), false, false, "signature does not match the document"},
		{"bad signed_at", bytes.Replace(good, []byte(`"signed_at":"2026-11-29T04:30:00Z"`), []byte(`"signed_at":"yesterday"`), 1), false, false, "signed_at is not an RFC 3339 time"},
		{"duplicate member", bytes.Replace(good, []byte(`{"id":`), []byte(`{"number":"x","id":`), 1), false, true, "cannot be canonicalized"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := ts.VerifyDocument(tt.doc, t0)
			if c.Signature != tt.signature || c.IssuerTrusted != tt.trusted || !hasReason(c, tt.reason) {
				t.Errorf("VerifyDocument(%.60s…) = %+v, want signature %v, trusted %v and a reason with %q", tt.doc, c, tt.signature, tt.trusted, tt.reason)
			}
		})
	}
}

func FuzzCanonicalize(f *testing.F) {
	f.Add(marshal(f, testLicense()))
	for _, s := range []string{
		`{}`, `{"a":[1,2.5,-0,1e21,1e-7,"\u00e9"]}`, `{"status":"x","b":{"status":1}}`,
		`{"ｚ":1,"😀":2,"\u2028":"<&>"}`, `{"a\"\\":"},[","status":"\"}","z":[{"s":"\\"},"]"]}`, `{"a":12345678901234567890}`, `[1]`, `{"a":1,"a":2}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		for _, omit := range [][]string{nil, zhengzhao.UnsignedFields} {
			c, err := Canonicalize(doc, omit)
			if err != nil {
				return
			}
			if !json.Valid(c) {
				t.Fatalf("canonical form is not JSON: %q", c)
			}
			again, err := Canonicalize(c, omit)
			if err != nil {
				t.Fatalf("canonical form does not canonicalize: %v\n%q", err, c)
			}
			if !bytes.Equal(again, c) {
				t.Fatalf("canonicalization is not idempotent:\n%q\n%q", c, again)
			}
			if omit != nil {
				// Oracle: drop the members from a decoded copy and
				// canonicalize what encoding/json makes of the rest.
				full, _ := Canonicalize(doc, nil)
				var m map[string]json.RawMessage
				if err := json.Unmarshal(full, &m); err != nil {
					t.Fatal(err)
				}
				for _, name := range omit {
					delete(m, name)
				}
				b, _ := json.Marshal(m)
				want, err := jcs.Transform(b)
				if err != nil || !bytes.Equal(c, want) {
					t.Fatalf("omitting members:\ngot  %q\nwant %q (%v)", c, want, err)
				}
			}
			if strings.ContainsAny(string(c), "\t\r\n") {
				t.Fatalf("raw whitespace in canonical form: %q", c)
			}
		}
	})
}
