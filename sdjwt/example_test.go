package sdjwt_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/big"
	"strings"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwk"
	"github.com/zhengzhao-project/zhengzhao/sdjwt"
)

// counter is a deterministic stand-in for crypto/rand, so that the example
// prints the same salts every time. Never use it outside examples.
type counter struct{ n byte }

func (c *counter) Read(p []byte) (int, error) {
	for i := range p {
		sum := sha256.Sum256([]byte{c.n})
		p[i] = sum[0]
		c.n++
	}
	return len(p), nil
}

// exampleKey derives a fixed P-256 key from a label (example only).
func exampleKey(label string) *ecdsa.PrivateKey {
	sum := sha256.Sum256([]byte(label))
	d := new(big.Int).SetBytes(sum[:])
	k, err := ecdsa.ParseRawPrivateKey(elliptic.P256(), d.FillBytes(make([]byte, 32)))
	if err != nil {
		panic(err)
	}
	return k
}

// ExampleIssueCredential issues a business license as an SD-JWT VC and
// prints its signed payload (what every verifier sees) and the disclosures
// (what the holder may choose to show).
func ExampleIssueCredential() {
	holder, _ := jwk.Import(&exampleKey("holder").PublicKey)
	c := &sdjwt.Credential{
		Issuer:      "https://zz.example/issuers/310000-scjgj",
		VCT:         "https://zz.example/types/business-license",
		LicenseID:   "ZZ-310000-2026-000042",
		LicenseType: "business-license",
		ValidFrom:   "2026-01-01",
		ValidUntil:  "2036-12-31",
		IssuedAt:    time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC),
		HolderKey:   holder,
		Status:      &sdjwt.StatusRef{Index: 80417, URI: "https://zz.example/status/310000-scjgj/1"},
		Fields:      map[string]any{"name": "上海示例科技有限公司", "capital": "100万元人民币"},
		Holder:      map[string]any{"name": "上海示例科技有限公司", "id_type": "001", "id": "91310000MA1FL0000X"},
	}
	tok, err := sdjwt.IssueCredential(&sdjwt.Issuer{Alg: jwa.ES256(), Key: exampleKey("issuer"), Header: map[string]any{"kid": "310000-scjgj-1"}, Rand: &counter{}}, c)
	if err != nil {
		fmt.Println(err)
		return
	}
	parts := strings.Split(tok.JWT, ".")
	for _, seg := range parts[:2] {
		raw, _ := base64.RawURLEncoding.DecodeString(seg)
		var m map[string]any
		_ = json.Unmarshal(raw, &m)
		out, _ := json.MarshalIndent(m, "", "  ")
		fmt.Println(string(out))
	}
	paths, _ := tok.Paths()
	for i, d := range tok.Disclosures {
		raw, _ := base64.RawURLEncoding.DecodeString(d.Encoded)
		fmt.Printf("%s %s %s\n", paths[i], d.Digest(), raw)
	}
	// Output:
	// {
	//   "alg": "ES256",
	//   "kid": "310000-scjgj-1",
	//   "typ": "dc+sd-jwt"
	// }
	// {
	//   "_sd": [
	//     "YqznqJqHzkdNncOphdS_vZWQc5nTjqdZIzdVQ8GV2Rg",
	//     "kAVZ-cZjOyyoj81pSN3HcjkTrWeK4gN5LKtC3hzAosI"
	//   ],
	//   "_sd_alg": "sha-256",
	//   "cnf": {
	//     "jwk": {
	//       "crv": "P-256",
	//       "kty": "EC",
	//       "x": "yrvrlK-vyLY8_vclGXzoAf5szw1mwzyUZ6DUTlt4BbY",
	//       "y": "-5G1Zxfaj9-BNdtXKVgcB-09XSOTB3rW2aw_p35zvl4"
	//     }
	//   },
	//   "holder": {
	//     "_sd": [
	//       "K4Hk_keJ6VBPX837ole1QNlc-Jp8FDBqfY0GqfWcJMc",
	//       "WHRqitkTrNMt2fjOa8_b7l5L1tpY2V4md_BGSEPqzY4",
	//       "ueWVRx-WgVmklutbPVtVLd24hD4JNMxWVM3Ev5ePqhM"
	//     ]
	//   },
	//   "iat": 1796385600,
	//   "iss": "https://zz.example/issuers/310000-scjgj",
	//   "license_id": "ZZ-310000-2026-000042",
	//   "license_type": "business-license",
	//   "status": {
	//     "status_list": {
	//       "idx": 80417,
	//       "uri": "https://zz.example/status/310000-scjgj/1"
	//     }
	//   },
	//   "valid_from": "2026-01-01",
	//   "valid_until": "2036-12-31",
	//   "vct": "https://zz.example/types/business-license"
	// }
	// capital YqznqJqHzkdNncOphdS_vZWQc5nTjqdZIzdVQ8GV2Rg ["bkvbCOXnZ8q-KwHn751N3A","capital","100万元人民币"]
	// holder.id WHRqitkTrNMt2fjOa8_b7l5L1tpY2V4md_BGSEPqzY4 ["xUryq4MvfI9FaFh3vR-W_w","id","91310000MA1FL0000X"]
	// holder.id_type ueWVRx-WgVmklutbPVtVLd24hD4JNMxWVM3Ev5ePqhM ["NruKMwm7lSYyumij0DnNig","id_type","001"]
	// holder.name K4Hk_keJ6VBPX837ole1QNlc-Jp8FDBqfY0GqfWcJMc ["X2vUTkvv53ksGedB2jhiig","name","上海示例科技有限公司"]
	// name kAVZ-cZjOyyoj81pSN3HcjkTrWeK4gN5LKtC3hzAosI ["w1Xfaz-p9jNEqG2GcgiMxA","name","上海示例科技有限公司"]
}
