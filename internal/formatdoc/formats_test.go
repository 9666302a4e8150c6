package formatdoc_test

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"flag"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/smx509"
	"golang.org/x/mod/sumdb/note"

	"github.com/zhengzhao-project/zhengzhao"
	"github.com/zhengzhao-project/zhengzhao/auditlog"
	"github.com/zhengzhao-project/zhengzhao/sign"
)

var update = flag.Bool("update", false, "rewrite docs/formats.md's examples and the golden files")

const page = "../../docs/formats.md"

// exampleBlock matches a worked example: ```lang example=NAME … ```.
var exampleBlock = regexp.MustCompile("(?ms)^```(\\w*) example=([\\w-]+)\\n(.*?)^```")

// keys are the fixed example keys, derived from fixed scalars and seeds so
// that the examples are the same on every run.
type keys struct {
	ed   ed25519.PrivateKey
	sm2  *sm2.PrivateKey
	p256 *ecdsa.PrivateKey
}

func exampleKeys(t *testing.T) keys {
	t.Helper()
	seed := make([]byte, ed25519.SeedSize)
	for i := range seed {
		seed[i] = byte(i + 1)
	}
	d, _ := new(big.Int).SetString("3945208F7B2144B13F36E38AC6D39F95889393692860B51A42FB81EF4DF7C5B8", 16) // a private key common in SM2 examples
	sk, err := sm2.NewPrivateKeyFromInt(d)
	if err != nil {
		t.Fatal(err)
	}
	pd, _ := hex.DecodeString("C9AFA9D845BA75166B5C215767B1D6934E50C3DB36E89B127B8A622B120F6721") // RFC 6979 A.2.5 key
	p, err := ecdsa.ParseRawPrivateKey(elliptic.P256(), pd)
	if err != nil {
		t.Fatal(err)
	}
	return keys{ed: ed25519.NewKeyFromSeed(seed), sm2: sk, p256: p}
}

func spkiPEM(t *testing.T, pub crypto.PublicKey) string {
	t.Helper()
	der, err := smx509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
}

func kid(t *testing.T, pub crypto.PublicKey) string {
	t.Helper()
	k, err := sign.KeyID(pub)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func signer(t *testing.T, k crypto.Signer) *sign.Signer {
	t.Helper()
	s, err := sign.NewSigner(k, "")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// exampleLicense is the license document of the examples, before signing.
func exampleLicense() *zhengzhao.License {
	until := "2044-01-01"
	return &zhengzhao.License{
		ID:       zhengzhao.LicenseID{TypeCode: "11100000MB0143028R001", IssuerCode: "11310000MB2F38611K", Serial: "A0001", Version: 1}.String(),
		Type:     "11100000MB0143028R001",
		TypeName: "营业执照",
		Version:  "001", Serial: "A0001", Number: "310000000000001",
		Issuer:   zhengzhao.Party{Code: "11310000MB2F38611K", Name: "上海市市场监督管理局"},
		Holder:   zhengzhao.Holder{Kind: zhengzhao.HolderOrganization, IDType: zhengzhao.IDTypeUSCC, ID: "91350100M000100Y43", Name: "上海示例科技有限公司"},
		IssuedOn: "2024-01-02", ValidFrom: "2024-01-02", ValidUntil: &until,
		Fields:   map[string]any{"legal_representative": "张三", "registered_capital": json.Number("100.5"), "entity_type": "有限责任公司"},
		SignedAt: time.Date(2024, 1, 2, 8, 0, 0, 0, time.UTC),
		Status:   zhengzhao.StatusValid,
	}
}

func indentJSON(t *testing.T, b []byte) string {
	t.Helper()
	var out bytes.Buffer
	if err := json.Indent(&out, b, "", "  "); err != nil {
		t.Fatal(err)
	}
	return out.String() + "\n"
}

// stored is what -update keeps of examples that cannot be recomputed
// (randomized signatures): the test checks that they verify instead.
func stored(t *testing.T, name string, make func() string) string {
	t.Helper()
	if *update {
		return make()
	}
	b, err := os.ReadFile(filepath.Join("testdata", name+".golden"))
	if err != nil {
		t.Fatalf("%v (run with -update)", err)
	}
	return string(b)
}

// examples computes every worked example of docs/formats.md.
func examples(t *testing.T) map[string]string {
	k := exampleKeys(t)
	ex := map[string]string{}
	hexLines := func(b []byte) string {
		var s strings.Builder
		for i := 0; i < len(b); i += 32 {
			s.WriteString(hex.EncodeToString(b[i:min(i+32, len(b))]) + "\n")
		}
		return s.String()
	}

	// The license document and its canonical form.
	l := exampleLicense()
	unsigned, err := json.Marshal(l)
	if err != nil {
		t.Fatal(err)
	}
	canon, err := sign.Canonicalize(unsigned, zhengzhao.UnsignedFields)
	if err != nil {
		t.Fatal(err)
	}
	digest := sha256.Sum256(canon)
	ex["license-canonical"] = string(canon) + "\n"
	ex["license-sha256"] = hex.EncodeToString(digest[:]) + "\n"

	// EdDSA: deterministic, so the whole signed document is an example.
	edSigner := signer(t, k.ed)
	proof, err := sign.SignCanonical(edSigner, canon)
	if err != nil {
		t.Fatal(err)
	}
	l.Proof = proof
	doc, err := json.Marshal(l)
	if err != nil {
		t.Fatal(err)
	}
	ex["license-document"] = indentJSON(t, doc)
	ex["eddsa-public-key"] = spkiPEM(t, k.ed.Public())
	ex["eddsa-kid"] = kid(t, k.ed.Public()) + "\n"

	// The trust bundle: a CA and the example issuer's certificate for the
	// Ed25519 key (random serials and SM2 signatures: stored, then checked).
	ex["trust-bundle"] = stored(t, "trust-bundle", func() string {
		at := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
		ca, _, err := sign.LoadOrCreateCA(t.TempDir(), "Zhengzhao", at)
		if err != nil {
			t.Fatal(err)
		}
		cert, err := ca.IssueCertificate(l.Issuer.Code, l.Issuer.Name, k.ed.Public(), at, at.AddDate(10, 0, 0))
		if err != nil {
			t.Fatal(err)
		}
		return ca.CertPEM() + cert
	})
	ts, err := sign.ParseTrustBundle([]byte(ex["trust-bundle"]))
	if err != nil {
		t.Fatal(err)
	}
	if c := ts.VerifyDocument(doc, l.SignedAt); !c.Signature || !c.IssuerTrusted || c.IssuerCode != l.Issuer.Code {
		t.Fatalf("the example document does not verify with the example trust bundle: %+v", c)
	}

	// SM2-SM3: Z_A and the digest e are deterministic; the signature is not.
	za, err := sm2.CalculateZA(&k.sm2.PublicKey, []byte("1234567812345678"))
	if err != nil {
		t.Fatal(err)
	}
	e, err := sm2.CalculateSM2Hash(&k.sm2.PublicKey, canon, []byte("1234567812345678"))
	if err != nil {
		t.Fatal(err)
	}
	ex["sm2-public-key"] = spkiPEM(t, &k.sm2.PublicKey)
	ex["sm2-kid"] = kid(t, &k.sm2.PublicKey) + "\n"
	ex["sm2-za"] = hex.EncodeToString(za) + "\n"
	ex["sm2-e"] = hex.EncodeToString(e) + "\n"
	smSigner := signer(t, k.sm2)
	ex["sm2-signature"] = stored(t, "sm2-signature", func() string {
		p, err := sign.SignCanonical(smSigner, canon)
		if err != nil {
			t.Fatal(err)
		}
		return p.Value + "\n"
	})
	mustVerify(t, zhengzhao.AlgSM2SM3, &k.sm2.PublicKey, canon, ex["sm2-signature"])

	// ES256: r||s, randomized.
	ex["es256-public-key"] = spkiPEM(t, &k.p256.PublicKey)
	ex["es256-kid"] = kid(t, &k.p256.PublicKey) + "\n"
	esSigner := signer(t, k.p256)
	ex["es256-signature"] = stored(t, "es256-signature", func() string {
		p, err := sign.SignCanonical(esSigner, canon)
		if err != nil {
			t.Fatal(err)
		}
		return p.Value + "\n"
	})
	mustVerify(t, zhengzhao.AlgES256, &k.p256.PublicKey, canon, ex["es256-signature"])

	// A display token signed with the Ed25519 key (deterministic).
	tok := &zhengzhao.DisplayToken{
		Expires:   time.Date(2024, 1, 2, 8, 5, 0, 0, time.UTC),
		Nonce:     [8]byte{0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef},
		LicenseID: l.ID,
		Fields:    []zhengzhao.DisplayField{{Key: zhengzhao.ShowHolderName, Value: l.Holder.Name}},
	}
	if err := sign.SignDisplayToken(edSigner, tok); err != nil {
		t.Fatal(err)
	}
	payload, err := tok.Payload()
	if err != nil {
		t.Fatal(err)
	}
	enc, err := tok.Encode()
	if err != nil {
		t.Fatal(err)
	}
	ex["token-payload"] = hexLines(payload)
	ex["token-signature"] = hexLines(tok.Signature)
	ex["token"] = enc + "\n"

	// Audit leaves, a tree of five, proofs and a checkpoint.
	at := time.Date(2024, 1, 2, 8, 0, 0, 123456000, time.UTC)
	entries := []*zhengzhao.AuditEntry{
		{Index: 0, Time: at, Actor: "admin", Action: zhengzhao.ActionUnitCreate, Subject: l.Issuer.Code},
		{Index: 1, Time: at, Actor: "admin", Action: zhengzhao.ActionUnitKeyCreate, Subject: l.Issuer.Code},
		{Index: 2, Time: at, Actor: "unit:" + l.Issuer.Code, Action: zhengzhao.ActionLicenseIssue, License: l.ID,
			LicenseBase: "11100000MB0143028R001.11310000MB2F38611K.A0001", Subject: l.Type,
			Details: map[string]string{"digest": hex.EncodeToString(digest[:]), "kid": proof.KID}},
		{Index: 3, Time: at.Add(time.Second), Actor: "unit:" + l.Issuer.Code, Action: zhengzhao.ActionLicenseRead, License: l.ID, LicenseBase: "11100000MB0143028R001.11310000MB2F38611K.A0001"},
		{Index: 4, Time: at.Add(2 * time.Second), Actor: "admin", Action: zhengzhao.ActionLicenseRead, License: l.ID, LicenseBase: "11100000MB0143028R001.11310000MB2F38611K.A0001"},
	}
	ex["leaf-entry"] = indentJSON(t, mustJSON(t, entries[2]))
	ex["leaf-data"] = string(auditlog.LeafData(entries[2])) + "\n"
	ex["leaf-hash"] = hex.EncodeToString(auditlog.LeafHash(entries[2])) + "\n"

	tree, err := auditlog.NewTree(0, nil)
	if err != nil {
		t.Fatal(err)
	}
	nodes := map[[2]int64][]byte{}
	for _, e := range entries {
		ns, err := tree.Append(auditlog.LeafHash(e))
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range ns {
			nodes[[2]int64{int64(n.Level), n.Index}] = n.Hash
		}
	}
	fetch := func(ids []zhengzhao.TreeNode) ([][]byte, error) {
		out := make([][]byte, len(ids))
		for i, id := range ids {
			out[i] = nodes[[2]int64{int64(id.Level), id.Index}]
			if out[i] == nil {
				return nil, fmt.Errorf("no node %d/%d", id.Level, id.Index)
			}
		}
		return out, nil
	}
	root, err := tree.Root()
	if err != nil {
		t.Fatal(err)
	}
	incl, err := auditlog.InclusionProof(2, 5, fetch)
	if err != nil {
		t.Fatal(err)
	}
	ex["inclusion-proof"] = indentJSON(t, mustJSON(t, zhengzhao.InclusionProof{Index: 2, Size: 5, LeafHash: auditlog.LeafHash(entries[2]), Hashes: incl, Root: root}))
	cons, err := auditlog.ConsistencyProof(3, 5, fetch)
	if err != nil {
		t.Fatal(err)
	}
	ex["consistency-proof"] = indentJSON(t, mustJSON(t, zhengzhao.ConsistencyProof{Size1: 3, Size2: 5, Hashes: cons}))

	const origin = "zhengzhao.example/audit"
	vkey, err := note.NewEd25519VerifierKey(origin, k.ed.Public().(ed25519.PublicKey))
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.SplitN(vkey, "+", 3)
	skey := "PRIVATE+KEY+" + origin + "+" + parts[1] + "+" + base64.StdEncoding.EncodeToString(append([]byte{1}, k.ed.Seed()...))
	ns, err := note.NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	cp, err := auditlog.SignCheckpoint(ns, origin, 5, root)
	if err != nil {
		t.Fatal(err)
	}
	ex["log-verifier-key"] = vkey + "\n"
	ex["checkpoint"] = cp
	return ex
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func mustVerify(t *testing.T, alg string, pub crypto.PublicKey, msg []byte, value string) {
	t.Helper()
	sig, err := base64.RawURLEncoding.DecodeString(strings.TrimSpace(value))
	if err != nil {
		t.Fatalf("%s example signature: %v", alg, err)
	}
	if err := sign.Verify(alg, pub, msg, sig); err != nil {
		t.Fatalf("the %s example signature does not verify: %v", alg, err)
	}
}

// TestFormatsExamples checks every worked example of docs/formats.md
// against the code's output and the golden files, and that every example
// the code computes is on the page.
func TestFormatsExamples(t *testing.T) {
	want := examples(t)
	b, err := os.ReadFile(page)
	if err != nil {
		t.Fatal(err)
	}
	text := string(b)
	seen := map[string]bool{}
	text = exampleBlock.ReplaceAllStringFunc(text, func(block string) string {
		m := exampleBlock.FindStringSubmatch(block)
		lang, name, got := m[1], m[2], m[3]
		seen[name] = true
		w, ok := want[name]
		if !ok {
			t.Errorf("formats.md: example %q is not computed by this test", name)
			return block
		}
		if got != w && !*update {
			t.Errorf("formats.md: example %s differs from the code:\n got %q\nwant %q", name, got, w)
		}
		return "```" + lang + " example=" + name + "\n" + w + "```"
	})
	var names []string
	for name := range want {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if !seen[name] {
			t.Errorf("formats.md lacks example %s", name)
		}
		golden := filepath.Join("testdata", name+".golden")
		if *update {
			if err := os.WriteFile(golden, []byte(want[name]), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		g, err := os.ReadFile(golden)
		if err != nil {
			t.Errorf("%v (run with -update)", err)
		} else if string(g) != want[name] {
			t.Errorf("%s: the code's output changed from the golden file:\n got %q\nwant %q", golden, want[name], g)
		}
	}
	if *update {
		if err := os.WriteFile(page, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
