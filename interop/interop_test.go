package interop_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwk"
	"github.com/zhengzhao-project/zhengzhao"
	"github.com/zhengzhao-project/zhengzhao/sdjwt"
	"github.com/zhengzhao-project/zhengzhao/statuslist"
)

const statusURI = "https://zz.example/status/310000-scjgj/1"

type party struct {
	key *ecdsa.PrivateKey
	jwk jwk.Key // public
}

func newParty(t *testing.T) party {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := jwk.Import(&k.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	return party{key: k, jwk: pub}
}

func (p party) jwkJSON(t *testing.T) map[string]any {
	b, err := json.Marshal(p.jwk)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// license is a business license with ten face fields, as the SD-JWT VC
// export of issue 16 would carry it.
func license(holder party, idx int) *sdjwt.Credential {
	now := time.Now().Truncate(time.Second)
	return &sdjwt.Credential{
		Issuer:      "https://zz.example/issuers/310000-scjgj",
		VCT:         "https://zz.example/types/business-license",
		LicenseID:   "ZZ-310000-2026-000042",
		LicenseType: "business-license",
		ValidFrom:   "2026-01-01",
		ValidUntil:  "2036-12-31",
		IssuedAt:    now,
		Expires:     now.Add(24 * time.Hour),
		HolderKey:   holder.jwk,
		Status:      &sdjwt.StatusRef{Index: idx, URI: statusURI},
		Fields: map[string]any{
			"name": "上海示例科技有限公司", "credit_code": "91310000MA1FL0000X", "capital": "100万元人民币",
			"address": "上海市浦东新区世纪大道100号", "legal_rep": "张三", "scope": "软件开发；信息技术咨询",
			"type": "有限责任公司", "established": "2020-05-01", "registrar": "上海市市场监督管理局", "employees": 42,
		},
		Holder: map[string]any{"name": "上海示例科技有限公司", "id_type": "001", "id": "91310000MA1FL0000X"},
	}
}

type verifyVCAnswer struct {
	Verified bool           `json:"verified"`
	Error    string         `json:"error"`
	Header   map[string]any `json:"header"`
	Claims   map[string]any `json:"claims"`
	KB       map[string]any `json:"kb"`
	Status   *int           `json:"status"`
	// FetchedVct and TypeMetadata: the vct the library asked for and the
	// Type Metadata as its schema parsed and resolved it
	// (mergedTypeMetadata, typeMetadataChain, vctValues).
	FetchedVct   string         `json:"fetchedVct"`
	TypeMetadata map[string]any `json:"typeMetadata"`
}

// TestNPMVerifiesOurCredential: @sd-jwt/sd-jwt-vc verifies a Zhengzhao
// SD-JWT VC presentation with key binding, reads its status from a
// Zhengzhao status list token (valid, revoked, under objection), sees only
// the presented claims, refuses a wrong nonce, and does not show a forged
// disclosure.
func TestNPMVerifiesOurCredential(t *testing.T) {
	oracle(t)
	issuer, holder := newParty(t), newParty(t)
	alloc := statuslist.NewAllocator(1024, nil)
	list, _ := statuslist.New(1024, 2)
	bind := func(s *sdjwt.SDJWT) string {
		b, err := s.Bind(sdjwt.Binding{Alg: jwa.ES256(), Key: holder.key, Audience: "https://bank.example", Nonce: "nonce-1", IssuedAt: time.Now()})
		if err != nil {
			t.Fatal(err)
		}
		return b.String()
	}
	statuses := map[string]uint8{"valid": statuslist.Valid, "revoked": statuslist.Invalid, "under objection": statuslist.UnderObjection}
	names := []string{"valid", "revoked", "under objection"}
	var tokens []string
	for _, name := range names {
		idx, err := alloc.Next()
		if err != nil {
			t.Fatal(err)
		}
		if err := list.Set(idx, statuses[name]); err != nil {
			t.Fatal(err)
		}
		tok, err := sdjwt.IssueCredential(&sdjwt.Issuer{Alg: jwa.ES256(), Key: issuer.key, Decoys: 2}, license(holder, idx))
		if err != nil {
			t.Fatal(err)
		}
		pres, err := tok.Present("name", "credit_code", "holder.name")
		if err != nil {
			t.Fatal(err)
		}
		tokens = append(tokens, bind(pres))
	}
	slJWT, err := (&statuslist.Token{Subject: statusURI, IssuedAt: time.Now(), TTL: 5 * time.Minute, List: list}).Sign(jwa.ES256(), issuer.key, nil)
	if err != nil {
		t.Fatal(err)
	}

	// A disclosure of another credential with another name, added to the
	// first presentation. RFC 9901 section 7.1 says to reject an
	// unreferenced disclosure; @sd-jwt/core 0.19.0 ignores it instead.
	// Either way the forged value must not show.
	forged, err := sdjwt.Parse(tokens[0])
	if err != nil {
		t.Fatal(err)
	}
	fake := license(holder, 0)
	fake.Fields["name"] = "假冒公司"
	other, err := sdjwt.IssueCredential(&sdjwt.Issuer{Alg: jwa.ES256(), Key: issuer.key}, fake)
	if err != nil {
		t.Fatal(err)
	}
	otherName, err := other.Present("name")
	if err != nil || len(otherName.Disclosures) != 1 {
		t.Fatalf("other name disclosure: %v", err)
	}
	forged.Disclosures = append(forged.Disclosures, otherName.Disclosures[0])
	forgedToken := bind(forged)
	if _, err := sdjwt.VerifyCredential(context.Background(), forgedToken, sdjwt.VerifyOptions{
		Key: staticKey(&issuer.key.PublicKey), KeyBinding: true, Nonce: "nonce-1", Audience: "https://bank.example"}); !errors.Is(err, sdjwt.ErrDisclosure) {
		t.Errorf("we accepted the forged disclosure: %v", err)
	}

	// A generic SD-JWT of ours with array-element and recursive
	// disclosures (the VC profile makes only flat ones), presented in part.
	generic, err := (&sdjwt.Issuer{Alg: jwa.ES256(), Key: issuer.key, Header: map[string]any{"typ": sdjwt.TypeVC}, Decoys: 1}).Issue(map[string]any{
		"iss": "https://zz.example/issuers/310000-scjgj", "vct": "https://zz.example/types/x", "iat": time.Now().Unix(),
		"cnf":     map[string]any{"jwk": holder.jwkJSON(t)},
		"scope":   []any{sdjwt.SD("软件开发"), sdjwt.SD("信息技术咨询"), "数据处理"},
		"address": sdjwt.SD(map[string]any{"city": sdjwt.SD("上海市"), "street": sdjwt.SD("世纪大道 100 号"), "country": "CN"}),
	})
	if err != nil {
		t.Fatal(err)
	}
	genericPres, err := generic.Present("address.city", "scope.1")
	if err != nil {
		t.Fatal(err)
	}
	genericToken := bind(genericPres)

	request := func(token, nonce string) map[string]any {
		return map[string]any{"token": token, "issuerJwk": issuer.jwkJSON(t), "statusListJwt": slJWT,
			"nonce": nonce, "aud": "https://bank.example", "now": time.Now().Unix()}
	}
	batch := [][2]any{}
	for _, tok := range tokens {
		batch = append(batch, [2]any{"verify-vc", request(tok, "nonce-1")})
	}
	// Our Type Metadata for the license's vct, loaded and schema-checked by
	// the library during verification; a broken one must be refused.
	lt := &zhengzhao.LicenseType{Code: "business-license", Name: "营业执照", Fields: []zhengzhao.FieldSpec{
		{Key: "name", Label: "名称", Required: true}, {Key: "credit_code", Label: "统一社会信用代码", Required: true}, {Key: "capital", Label: "注册资本"},
	}}
	meta := sdjwt.TypeMetadataOf(lt, "https://zz.example/types/business-license", sdjwt.English{Name: "Business licence", Fields: map[string]string{"name": "Name"}})
	withMeta := request(tokens[0], "nonce-1")
	withMeta["typeMetadata"] = meta
	brokenMeta := request(tokens[0], "nonce-1")
	brokenMeta["typeMetadata"] = map[string]any{"vct": meta.VCT, "claims": []any{map[string]any{"path": "name"}}}
	batch = append(batch, [2]any{"verify-vc", request(tokens[0], "nonce-2")}, [2]any{"verify-vc", request(forgedToken, "nonce-1")},
		[2]any{"verify-vc", request(genericToken, "nonce-1")}, [2]any{"verify-vc", withMeta}, [2]any{"verify-vc", brokenMeta})
	var answers []verifyVCAnswer
	call(t, "batch", batch, &answers)

	for i, name := range names {
		t.Run(name, func(t *testing.T) {
			got := answers[i]
			if !got.Verified {
				t.Fatalf("npm refused our credential: %s", got.Error)
			}
			if got.Header["typ"] != sdjwt.TypeVC {
				t.Errorf("typ %v", got.Header["typ"])
			}
			if got.Status == nil || *got.Status != int(statuses[name]) {
				t.Errorf("npm read status %v, want %d", got.Status, statuses[name])
			}
			want := map[string]any{"name": "上海示例科技有限公司", "credit_code": "91310000MA1FL0000X",
				"license_id": "ZZ-310000-2026-000042", "license_type": "business-license", "valid_from": "2026-01-01", "valid_until": "2036-12-31",
				"iss": "https://zz.example/issuers/310000-scjgj", "vct": "https://zz.example/types/business-license"}
			for k, v := range want {
				if got.Claims[k] != v {
					t.Errorf("npm claim %s = %v, want %v", k, got.Claims[k], v)
				}
			}
			if diff := cmp.Diff(map[string]any{"name": "上海示例科技有限公司"}, got.Claims["holder"]); diff != "" {
				t.Errorf("npm holder (-want +got):\n%s", diff)
			}
			for _, k := range []string{"capital", "legal_rep", "address", "employees"} {
				if _, ok := got.Claims[k]; ok {
					t.Errorf("npm sees undisclosed %s", k)
				}
			}
			if got.KB["nonce"] != "nonce-1" || got.KB["sd_hash"] == nil {
				t.Errorf("kb %v", got.KB)
			}
		})
	}
	if answers[3].Verified {
		t.Error("npm accepted a wrong nonce")
	}
	if g := answers[5]; !g.Verified {
		t.Errorf("npm refused our array/recursive SD-JWT: %s", g.Error)
	} else {
		if diff := cmp.Diff(map[string]any{"city": "上海市", "country": "CN"}, g.Claims["address"]); diff != "" {
			t.Errorf("npm address (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff([]any{"信息技术咨询", "数据处理"}, g.Claims["scope"]); diff != "" {
			t.Errorf("npm scope (-want +got):\n%s", diff)
		}
	}
	if m := answers[6]; !m.Verified {
		t.Errorf("npm refused our Type Metadata: %s", m.Error)
	} else if merged, _ := m.TypeMetadata["mergedTypeMetadata"].(map[string]any); m.FetchedVct != meta.VCT || merged["vct"] != meta.VCT {
		t.Errorf("npm fetched %q and resolved %v", m.FetchedVct, m.TypeMetadata)
	} else if claims, _ := merged["claims"].([]any); len(claims) != len(meta.Claims) {
		t.Errorf("npm parsed %d claims, we wrote %d", len(claims), len(meta.Claims))
	}
	if answers[7].Verified {
		t.Error("npm accepted Type Metadata whose claim path is not an array")
	}
	switch bad := answers[4]; {
	case !bad.Verified:
		t.Logf("npm refused the unreferenced disclosure: %s", bad.Error)
	case bad.Claims["name"] != "上海示例科技有限公司":
		t.Errorf("npm shows the forged name %v", bad.Claims["name"])
	default:
		t.Logf("npm ignored the unreferenced disclosure (RFC 9901 says reject; we do)")
	}
}

func staticKey(k any) sdjwt.KeyFunc {
	return func(context.Context, map[string]any, map[string]any) (any, error) { return k, nil }
}

type issueVCAnswer struct {
	IssuerJWK     json.RawMessage `json:"issuerJwk"`
	Issued        string          `json:"issued"`
	Presentation  string          `json:"presentation"`
	StatusListJWT string          `json:"statusListJwt"`
}

// TestWeVerifyNPMCredential: Zhengzhao verifies an SD-JWT VC issued and
// presented (with key binding) by @sd-jwt/sd-jwt-vc and reads its status
// from a status list token made by @sd-jwt/jwt-status-list; a wrong nonce
// or audience is refused.
func TestWeVerifyNPMCredential(t *testing.T) {
	oracle(t)
	now := time.Now().Unix()
	req := map[string]any{
		"claims": map[string]any{
			"iss": "https://zj.example/issuers/330000-scjgj", "vct": "https://zj.example/types/business-license",
			"license_id": "ZJ-330000-2026-000007", "license_type": "business-license", "valid_from": "2026-02-01",
			"name": "杭州示例有限公司", "credit_code": "91330000MA2B00000Y", "legal_rep": "李四",
			"scope":   []string{"软件开发", "信息技术咨询", "数据处理"},
			"address": map[string]any{"city": "杭州市", "street": "文三路 1 号"},
			"holder":  map[string]any{"name": "杭州示例有限公司", "id_type": "001", "id": "91330000MA2B00000Y"},
		},
		// Top-level, array-element and recursive disclosures, with decoys.
		"disclose": map[string]any{
			"_sd": []string{"name", "credit_code", "legal_rep", "address"}, "_sd_decoy": 3,
			"scope":   map[string]any{"_sd": []int{0, 1, 2}, "_sd_decoy": 2},
			"address": map[string]any{"_sd": []string{"city", "street"}},
			"holder":  map[string]any{"_sd": []string{"name", "id_type", "id"}},
		},
		"present": map[string]any{"name": true, "holder": map[string]any{"id": true},
			"scope": map[string]any{"1": true}, "address": map[string]any{"city": true}},
		"nonce": "zz-nonce", "aud": "https://zz.example/verifier", "iat": now,
		"statusUri": "https://zj.example/status/1", "statusIdx": 77, "statusValue": 3,
	}
	var got issueVCAnswer
	call(t, "issue-vc", req, &got)
	key, err := jwk.ParseKey(got.IssuerJWK)
	if err != nil {
		t.Fatal(err)
	}
	opts := sdjwt.VerifyOptions{Key: staticKey(key), KeyBinding: true, Nonce: "zz-nonce", Audience: "https://zz.example/verifier"}
	v, err := sdjwt.VerifyCredential(context.Background(), got.Presentation, opts)
	if err != nil {
		t.Fatalf("we refused npm's credential: %v", err)
	}
	if v.LicenseID != "ZJ-330000-2026-000007" || v.Issuer != "https://zj.example/issuers/330000-scjgj" || v.HolderKey == nil {
		t.Errorf("credential %+v", v.Credential)
	}
	wantFields := map[string]any{"name": "杭州示例有限公司", "scope": []any{"信息技术咨询"}, "address": map[string]any{"city": "杭州市"}}
	if diff := cmp.Diff(wantFields, v.Fields); diff != "" {
		t.Errorf("fields (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]any{"id": "91330000MA2B00000Y"}, v.Holder); diff != "" {
		t.Errorf("holder (-want +got):\n%s", diff)
	}
	if v.Status == nil || v.Status.Index != 77 {
		t.Fatalf("status ref %+v", v.Status)
	}
	sl, err := statuslist.VerifyToken(context.Background(), got.StatusListJWT, statuslist.VerifyOptions{
		Key: func(context.Context, map[string]any, map[string]any) (any, error) { return key, nil }, Subject: v.Status.URI})
	if err != nil {
		t.Fatalf("we refused npm's status list: %v", err)
	}
	if s, err := sl.Status(statuslist.Reference{Index: v.Status.Index, URI: v.Status.URI}); err != nil || s != statuslist.UnderObjection {
		t.Errorf("status %d, %v; want under objection", s, err)
	}
	if sl.TTL != 5*time.Minute {
		t.Errorf("ttl %v", sl.TTL)
	}
	// All disclosures of the issued form verify too (no key binding).
	all, err := sdjwt.Verify(context.Background(), got.Issued, sdjwt.VerifyOptions{Key: staticKey(key)})
	if err != nil {
		t.Fatal(err)
	}
	if len(all.Disclosed) != 12 {
		t.Errorf("disclosed %v, want 12", all.Disclosed)
	}
	for name, o := range map[string]sdjwt.VerifyOptions{
		"wrong nonce":    {Key: staticKey(key), KeyBinding: true, Nonce: "other", Audience: opts.Audience},
		"wrong audience": {Key: staticKey(key), KeyBinding: true, Nonce: opts.Nonce, Audience: "https://evil.example"},
	} {
		if _, err := sdjwt.VerifyCredential(context.Background(), got.Presentation, o); !errors.Is(err, sdjwt.ErrKeyBinding) {
			t.Errorf("%s: got %v, want ErrKeyBinding", name, err)
		}
	}
}

type readStatusAnswer struct {
	Verified bool   `json:"verified"`
	Error    string `json:"error"`
	Bits     int    `json:"bits"`
	Statuses []int  `json:"statuses"`
}

// TestNPMReadsOurStatusList: @sd-jwt/jwt-status-list verifies and reads a
// Zhengzhao status list token of 100,000 2-bit entries at random indexes.
func TestNPMReadsOurStatusList(t *testing.T) {
	oracle(t)
	issuer := newParty(t)
	const n = 100_000
	list, _ := statuslist.New(n, 2)
	alloc := statuslist.NewAllocator(n, nil)
	var idx []int
	var want []int
	for k := 0; k < 60; k++ {
		i, err := alloc.Next()
		if err != nil {
			t.Fatal(err)
		}
		v := []uint8{statuslist.Valid, statuslist.Invalid, statuslist.UnderObjection}[k%3]
		if err := list.Set(i, v); err != nil {
			t.Fatal(err)
		}
		idx, want = append(idx, i), append(want, int(v))
	}
	idx, want = append(idx, 0, n-1), append(want, mustGet(t, list, 0), mustGet(t, list, n-1))
	jwt, err := (&statuslist.Token{Subject: statusURI, IssuedAt: time.Now(), Expires: time.Now().Add(time.Hour), List: list}).Sign(jwa.ES256(), issuer.key, map[string]any{"kid": "k1"})
	if err != nil {
		t.Fatal(err)
	}
	// One process: ours under the right key, then under another key, which
	// the oracle must refuse (it does check the signature).
	var answers []readStatusAnswer
	call(t, "batch", [][2]any{
		{"read-status-list", map[string]any{"jwt": jwt, "issuerJwk": issuer.jwkJSON(t), "indexes": idx, "now": time.Now().Unix()}},
		{"read-status-list", map[string]any{"jwt": jwt, "issuerJwk": newParty(t).jwkJSON(t), "indexes": idx, "now": time.Now().Unix()}},
	}, &answers)
	got := answers[0]
	if !got.Verified || got.Bits != 2 {
		t.Fatalf("npm: %+v", got)
	}
	if diff := cmp.Diff(want, got.Statuses); diff != "" {
		t.Errorf("statuses (-want +got):\n%s", diff)
	}
	if answers[1].Verified {
		t.Error("npm accepted our status list under another key")
	}
}

func mustGet(t *testing.T, l *statuslist.List, i int) int {
	v, err := l.Get(i)
	if err != nil {
		t.Fatal(err)
	}
	return int(v)
}

type bitstringAnswer struct {
	Length   int    `json:"length"`
	Statuses []bool `json:"statuses"`
	Error    string `json:"error"`
	Encoded  string `json:"encodedList"`
}

// TestBitstringBothWays: @digitalbazaar/vc-bitstring-status-list decodes a
// Zhengzhao encodedList, and Zhengzhao decodes one it made.
func TestBitstringBothWays(t *testing.T) {
	oracle(t)
	list, err := statuslist.NewBitstring(200_000, 1)
	if err != nil {
		t.Fatal(err)
	}
	set := []int{0, 7, 8, 4711, 131071, 199_999}
	for _, i := range set {
		if err := list.Set(i, 1); err != nil {
			t.Fatal(err)
		}
	}
	enc, err := list.EncodeBitstring()
	if err != nil {
		t.Fatal(err)
	}
	probe := append([]int{1, 6, 9, 4712, 199_998}, set...)
	var answers []bitstringAnswer
	call(t, "batch", [][2]any{
		{"read-bitstring", map[string]any{"encodedList": enc, "indexes": probe}},
		{"make-bitstring", map[string]any{"length": 131072, "set": []int{3, 64, 131071}}},
	}, &answers)
	got, made := answers[0], answers[1]
	if got.Error != "" {
		t.Fatal(got.Error)
	}
	if got.Length != 200_000 {
		t.Errorf("npm length %d", got.Length)
	}
	want := []bool{false, false, false, false, false, true, true, true, true, true, true}
	if diff := cmp.Diff(want, got.Statuses); diff != "" {
		t.Errorf("npm statuses (-want +got):\n%s", diff)
	}

	theirs, err := statuslist.DecodeBitstring(made.Encoded, 1)
	if err != nil {
		t.Fatalf("we refused npm's encodedList: %v", err)
	}
	if theirs.Len() != 131072 {
		t.Errorf("len %d", theirs.Len())
	}
	for i := 0; i < theirs.Len(); i++ {
		v, _ := theirs.Get(i)
		if (v == 1) != (i == 3 || i == 64 || i == 131071) {
			t.Fatalf("entry %d = %d", i, v)
		}
	}
}

type checkStatusAnswer struct {
	Verified bool   `json:"verified"`
	Error    string `json:"error"`
	Statuses []bool `json:"statuses"`
}

// TestNPMChecksOurBitstringCredential: vc-bitstring-status-list's
// checkStatus accepts our BitstringStatusListCredential and
// BitstringStatusListEntry as they are (context, types, purpose, index,
// issuer) and reads the right bit; it refuses an entry whose issuer is not
// the list's, so it does check.
func TestNPMChecksOurBitstringCredential(t *testing.T) {
	oracle(t)
	const id = "https://zz.example/status/310000-scjgj/w3c/1"
	const issuer = "https://zz.example/issuers/310000-scjgj"
	list, err := statuslist.NewBitstring(1, 1)
	if err != nil {
		t.Fatal(err)
	}
	alloc := statuslist.NewAllocator(list.Len(), nil)
	revoked, _ := alloc.Next()
	valid, _ := alloc.Next()
	if err := list.Set(revoked, 1); err != nil {
		t.Fatal(err)
	}
	slc, err := list.Credential(id, issuer, statuslist.PurposeRevocation, time.Now(), 5*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	cred := func(iss string, idx int) map[string]any {
		return map[string]any{
			"@context":          []string{"https://www.w3.org/ns/credentials/v2"},
			"type":              []string{"VerifiableCredential"},
			"issuer":            iss,
			"credentialSubject": map[string]any{"id": "urn:example:holder"},
			"credentialStatus":  statuslist.Entry(id, statuslist.PurposeRevocation, idx),
		}
	}
	var answers []checkStatusAnswer
	call(t, "batch", [][2]any{
		{"check-bitstring-status", map[string]any{"credential": cred(issuer, revoked), "statusListCredential": slc}},
		{"check-bitstring-status", map[string]any{"credential": cred(issuer, valid), "statusListCredential": slc}},
		{"check-bitstring-status", map[string]any{"credential": cred("https://other.example", revoked), "statusListCredential": slc}},
	}, &answers)
	for i, want := range []bool{true, false} {
		if a := answers[i]; !a.Verified || len(a.Statuses) != 1 || a.Statuses[0] != want {
			t.Errorf("entry %d: npm says %+v, want status %v", i, a, want)
		}
	}
	if answers[2].Verified {
		t.Error("npm accepted a status list of another issuer")
	}
}
