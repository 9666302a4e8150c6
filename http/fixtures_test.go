package http_test

import (
	"encoding/json"
	"time"

	"github.com/zhengzhao-project/zhengzhao"
)

// typeCode is the code of the test license type: the issuer's credit code
// and three digits.
var typeCode = issuerUnit.Code + "001"

// licenseID returns the ID of version v of the test license.
func licenseID(v int) string {
	return zhengzhao.LicenseID{TypeCode: typeCode, IssuerCode: issuerUnit.Code, Serial: "A0001", Version: v}.String()
}

var signedAt = time.Date(2025, 3, 1, 8, 0, 0, 0, time.UTC)

// newLicense returns a signed test license, version v.
func newLicense(v int) *zhengzhao.License {
	id, _ := zhengzhao.ParseLicenseID(licenseID(v))
	return &zhengzhao.License{
		ID:        licenseID(v),
		Type:      typeCode,
		TypeName:  "营业执照",
		Version:   id.VersionString(),
		Serial:    "A0001",
		Number:    "SH-2025-0001",
		Issuer:    zhengzhao.Party{Code: issuerUnit.Code, Name: issuerUnit.Name},
		Holder:    zhengzhao.Holder{Kind: zhengzhao.HolderPerson, IDType: zhengzhao.IDTypeResident, ID: "11010519491231002X", Name: "张三"},
		IssuedOn:  "2025-03-01",
		ValidFrom: "2025-03-01",
		ValidUntil: func() *string {
			s := "2030-02-28"
			return &s
		}(),
		Fields:   map[string]any{"capital": json.Number("12.50"), "scope": "零售"},
		SignedAt: signedAt,
		Status:   zhengzhao.StatusValid,
		Proof:    &zhengzhao.Proof{Alg: zhengzhao.AlgSM2SM3, KID: "kid-1", Value: "c2ln"},
	}
}

func newLicenseType() *zhengzhao.LicenseType {
	return &zhengzhao.LicenseType{
		Code:         typeCode,
		Name:         "营业执照",
		Definer:      issuerUnit.Code,
		HolderKind:   zhengzhao.HolderPerson,
		Level:        zhengzhao.LevelMunicipal,
		Public:       true,
		CollectSince: "2020-01-01",
		Fields: []zhengzhao.FieldSpec{
			{Key: "capital", Label: "注册资本", Type: zhengzhao.FieldNumber, Required: true},
			{Key: "kind", Label: "类型", Type: zhengzhao.FieldEnum, Values: []string{"a", "b"}},
		},
		Issuers:   []string{issuerUnit.Code},
		Owner:     issuerUnit.Code,
		CreatedAt: signedAt,
	}
}

// issueBody is a well-formed issue request.
const issueBody = `{
	"type": "91310000MA1FL8XQ30001",
	"number": "SH-2025-0001",
	"holder": {"kind": "person", "id_type": "111", "id": "11010519491231002X", "name": "张三"},
	"issued_on": "2025-03-01",
	"valid_from": "2025-03-01",
	"valid_until": "2030-02-28",
	"fields": {"capital": 12.50, "scope": "零售"}
}`

// updateBody is a well-formed license update.
const updateBody = `{
	"number": "SH-2025-0001",
	"holder": {"kind": "person", "id_type": "111", "id": "11010519491231002X", "name": "张三丰"},
	"issued_on": "2025-04-01",
	"valid_from": "2025-04-01",
	"fields": {"capital": 20}
}`

const (
	caPEM   = "-----BEGIN CERTIFICATE-----\nQ0E=\n-----END CERTIFICATE-----\n"
	key1PEM = "-----BEGIN CERTIFICATE-----\nSzE=\n-----END CERTIFICATE-----" // no final newline
	key2PEM = "-----BEGIN CERTIFICATE-----\nSzI=\n-----END CERTIFICATE-----\n"
)

func newSigningKeys() []*zhengzhao.SigningKey {
	return []*zhengzhao.SigningKey{
		{KID: "kid-1", Unit: issuerUnit.Code, Alg: zhengzhao.AlgSM2SM3, CertPEM: key1PEM, PrivateKey: []byte("secret"),
			NotBefore: signedAt, NotAfter: signedAt.AddDate(5, 0, 0), CreatedAt: signedAt, Active: false},
		{KID: "kid-2", Unit: issuerUnit.Code, Alg: zhengzhao.AlgES256, CertPEM: key2PEM, PrivateKey: []byte("secret"),
			NotBefore: signedAt, NotAfter: signedAt.AddDate(5, 0, 0), CreatedAt: signedAt, Active: true},
	}
}

func newCheckpoint() *zhengzhao.Checkpoint {
	return &zhengzhao.Checkpoint{
		Origin: "zhengzhao.example/audit",
		Size:   42,
		Root:   []byte{1, 2, 3},
		Note:   "zhengzhao.example/audit\n42\nAQID\n\n— zhengzhao.example/audit sig\n",
		Time:   signedAt,
	}
}
