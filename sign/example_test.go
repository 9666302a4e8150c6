package sign_test

import (
	"encoding/json"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"

	"github.com/zhengzhao-project/zhengzhao"
	"github.com/zhengzhao-project/zhengzhao/sign"
)

// Example shows the life of a signature: the library's CA certifies an
// issuing unit's key, the unit signs a license, and anyone holding the CA
// certificate verifies the document offline.
func Example() {
	dir, err := os.MkdirTemp("", "zhengzhao")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	now := time.Date(2026, 11, 29, 8, 0, 0, 0, time.UTC)

	ca, _, err := sign.LoadOrCreateCA(filepath.Join(dir, "data"), "上海市大数据中心", now)
	if err != nil {
		log.Fatal(err)
	}
	key, err := sign.GenerateKey(zhengzhao.AlgSM2SM3)
	if err != nil {
		log.Fatal(err)
	}
	certPEM, err := ca.IssueCertificate("11310000MB2F3A1K91", "上海市浦东新区市场监督管理局", key.Public(), now, now.AddDate(2, 0, 0))
	if err != nil {
		log.Fatal(err)
	}
	signer, err := sign.NewSigner(key, certPEM)
	if err != nil {
		log.Fatal(err)
	}

	lic := &zhengzhao.License{
		ID:       "1.2.156.3005.2.11310000MB2F3A1K91001.11310000MB2F3A1K91.2026000123.001.L",
		TypeName: "营业执照",
		Issuer:   zhengzhao.Party{Code: "11310000MB2F3A1K91", Name: "上海市浦东新区市场监督管理局"},
		Holder:   zhengzhao.Holder{Kind: zhengzhao.HolderOrganization, IDType: zhengzhao.IDTypeUSCC, ID: "91310115MA1K4B2C3J", Name: "上海证照科技有限公司"},
		Fields:   map[string]any{"registered_capital": 5000000},
		SignedAt: now,
		Status:   zhengzhao.StatusValid,
	}
	doc, _ := json.Marshal(lic)
	lic.Proof, err = sign.SignDocument(signer, doc)
	if err != nil {
		log.Fatal(err)
	}
	doc, _ = json.Marshal(lic)

	ts, err := sign.NewTrustStore(ca.CertPEM())
	if err != nil {
		log.Fatal(err)
	}
	check := ts.VerifyDocument(doc, now)
	fmt.Println(check.Alg, check.Signature, check.IssuerTrusted, check.IssuerCode)

	lic.Holder.Name = "上海假冒科技有限公司"
	doc, _ = json.Marshal(lic)
	check = ts.VerifyDocument(doc, now)
	fmt.Println(check.Signature, check.Reasons)
	// Output:
	// SM2-SM3 true true 11310000MB2F3A1K91
	// false [signature does not match the document]
}
