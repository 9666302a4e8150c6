package sign

import (
	"bytes"
	"crypto"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/emmansun/gmsm/smx509"

	"github.com/zhengzhao-project/zhengzhao"
)

var algs = []string{zhengzhao.AlgSM2SM3, zhengzhao.AlgES256, zhengzhao.AlgEdDSA}

// Fixed clock and codes of the tests.
var (
	t0       = time.Date(2026, 11, 29, 4, 0, 0, 0, time.UTC)
	signedAt = t0.Add(30 * time.Minute)
)

const (
	issuerCode = "11310000MB2F3A1K91" // the issuing unit of testLicense
	otherCode  = "12310000425010793K" // another unit
	holderCode = "91310115MA1K4B2C3J"
)

// testLicense returns a fixed, realistic license with the awkward bits of
// JSON canonicalization in its face fields: Chinese text, characters that
// encoding/json escapes, a fraction, keys whose UTF-16 order differs from
// their UTF-8 order.
func testLicense() *zhengzhao.License {
	until := "2046-11-28"
	return &zhengzhao.License{
		ID:       "1.2.156.3005.2.11310000MB2F3A1K91001.11310000MB2F3A1K91.2026000123.001.L",
		Type:     "11310000MB2F3A1K91001",
		TypeName: "营业执照",
		Version:  "001",
		Serial:   "2026000123",
		Number:   "沪市监注字(2026)第0123号",
		Issuer:   zhengzhao.Party{Code: issuerCode, Name: "上海市浦东新区市场监督管理局"},
		Holder: zhengzhao.Holder{Kind: zhengzhao.HolderOrganization, IDType: zhengzhao.IDTypeUSCC,
			ID: holderCode, Name: "上海证照科技有限公司"},
		IssuedOn:   "2026-11-29",
		ValidFrom:  "2026-11-29",
		ValidUntil: &until,
		Fields: map[string]any{
			"legal_representative": "张三",
			"company_type":         "有限责任公司(自然人投资或控股)",
			"registered_capital":   json.Number("5000000"),
			"capital_ratio":        json.Number("0.1"),
			"address":              "中国(上海)自由贸易试验区张江路88号 1幢\n3层",
			"business_scope":       "软件开发;信息技术咨询服务 <含\"电子证照\"> & 数据处理",
			"established_on":       "2026-11-20",
			"shareholders":         []any{"张三", "李四"},
			"branch":               map[string]any{"name": "张江分公司", "employees": json.Number("12"), "active": true, "closed_on": nil},
			"经营期限":                 "长期",
			"😀":                    "U+1F600 sorts before U+FF5A in UTF-16, after it in UTF-8",
			"ｚ":                    "fullwidth z",
		},
		SignedAt: signedAt,
		Status:   zhengzhao.StatusValid,
	}
}

// marshal encodes v as JSON or fails the test.
func marshal(tb testing.TB, v any) []byte {
	tb.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// newTestCA returns a CA with an SM2 key whose certificate starts at t0.
func newTestCA(tb testing.TB) *CA {
	tb.Helper()
	key, err := GenerateKey(zhengzhao.AlgSM2SM3)
	if err != nil {
		tb.Fatal(err)
	}
	ca, err := newCA(key, "测试证照库", t0)
	if err != nil {
		tb.Fatal(err)
	}
	return ca
}

// newTestSigner returns a signer of alg for unit code, certified by ca for
// two years from t0.
func newTestSigner(tb testing.TB, ca *CA, alg, code string) *Signer {
	tb.Helper()
	key, err := GenerateKey(alg)
	if err != nil {
		tb.Fatal(err)
	}
	return certify(tb, ca, key, code)
}

func certify(tb testing.TB, ca *CA, key crypto.Signer, code string) *Signer {
	tb.Helper()
	certPEM, err := ca.IssueCertificate(code, "单位"+code, key.Public(), t0, t0.AddDate(2, 0, 0))
	if err != nil {
		tb.Fatal(err)
	}
	s, err := NewSigner(key, certPEM)
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

// signLicense signs lic as the library does and returns the document.
func signLicense(tb testing.TB, s *Signer, lic *zhengzhao.License) []byte {
	tb.Helper()
	lic.Proof = nil
	p, err := SignDocument(s, marshal(tb, lic))
	if err != nil {
		tb.Fatal(err)
	}
	lic.Proof = p
	return marshal(tb, lic)
}

// withMember returns the JSON object doc with one more member, added
// byte-exactly before its closing brace.
func withMember(doc []byte, name string, value any) []byte {
	i := bytes.LastIndexByte(doc, '}')
	v, _ := json.Marshal(value)
	var b bytes.Buffer
	b.Write(doc[:i])
	if bytes.TrimSpace(doc[:i])[len(bytes.TrimSpace(doc[:i]))-1] != '{' {
		b.WriteByte(',')
	}
	n, _ := json.Marshal(name)
	b.Write(n)
	b.WriteByte(':')
	b.Write(v)
	b.Write(doc[i:])
	return b.Bytes()
}

// mustVerify verifies doc and fails unless both checks pass.
func mustVerify(tb testing.TB, ts *TrustStore, doc []byte) DocumentCheck {
	tb.Helper()
	c := ts.VerifyDocument(doc, t0)
	if !c.Signature || !c.IssuerTrusted || len(c.Reasons) > 0 {
		tb.Fatalf("VerifyDocument = %+v, want signature and issuer trusted", c)
	}
	return c
}

func hasReason(c DocumentCheck, substr string) bool {
	for _, r := range c.Reasons {
		if strings.Contains(r, substr) {
			return true
		}
	}
	return false
}

func parseCert(tb testing.TB, certPEM string) *smx509.Certificate {
	tb.Helper()
	c, err := parseCertificatePEM([]byte(certPEM))
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

func encodeBase64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

func mustTime(tb testing.TB, s string) time.Time {
	tb.Helper()
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		tb.Fatal(err)
	}
	return t
}
