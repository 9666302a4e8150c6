// Package storetest is the conformance suite of zhengzhao.Store. Every
// store runs it from its own tests:
//
//	func TestStore(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) zhengzhao.Store { return MustOpenStore(t) })
//	}
//
// The suite pins down what the Store interface leaves to words, so that the
// library behaves the same on every database:
//
//   - Find…ByX methods return a *zhengzhao.Error with code ENOTFOUND when
//     nothing matches; Create methods return ECONFLICT when the object
//     exists. List methods reject a cursor they did not hand out with
//     EINVALID.
//   - Times go in and come out at microsecond precision; Now is UTC,
//     microsecond precision and fixed for a transaction's life.
//   - A license comes back as the identical document: face fields as
//     encoding/json decodes them with UseNumber (json.Number, string, bool,
//     nil, []any, map[string]any), numbers digit for digit.
//   - Signing keys are listed oldest (CreatedAt) first; licenses in the
//     order they were stored; audit entries by index. Units and license
//     types come in a stable order the store chooses; pages visit each
//     exactly once.
//   - An Update whose fn fails leaves no trace, not even a used audit
//     index. When fn panics, Update panics with the same value in the
//     caller's goroutine, and the calls committed with it are unaffected.
//     When ctx ends before fn's changes are committed, Update returns an
//     error that errors.Is ctx.Err() and nothing of fn is committed.
//   - View sees a consistent snapshot of committed state, and does not wait
//     for an Update in progress.
//   - Storing a tree node again with another hash is ECONFLICT; storing a
//     checkpoint of a size that exists is ECONFLICT.
//   - Update after Close fails; Close may be called more than once.
package storetest

import (
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/zhengzhao-project/zhengzhao"
)

// Run runs every behaviour of zhengzhao.Store, zhengzhao.Tx and
// zhengzhao.ReadTx as subtests of t. open returns a new, empty store for
// each subtest and arranges for it to be closed when the subtest ends
// (t.Cleanup); the suite may close it earlier.
func Run(t *testing.T, open func(t *testing.T) zhengzhao.Store) {
	groups := []struct {
		name  string
		tests []test
	}{
		{"Unit", unitTests},
		{"UnitKey", unitKeyTests},
		{"SigningKey", signingKeyTests},
		{"LicenseType", licenseTypeTests},
		{"License", licenseTests},
		{"Idempotency", idempotencyTests},
		{"Audit", auditTests},
		{"Tree", treeTests},
		{"Checkpoint", checkpointTests},
		{"Tx", txTests},
		{"GroupCommit", groupCommitTests},
		{"Store", storeTests},
		{"Listing", listingTests},
		{"Aggregation", aggregationTests},
		{"Supervision", supervisionTests},
		{"Holder", holderTests},
		{"Use", useTests},
		{"Copy", copyTests},
		{"Drift", driftTests},
	}
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) {
			for _, tt := range g.tests {
				t.Run(tt.name, func(t *testing.T) {
					tt.fn(t, open(t))
				})
			}
		})
	}
}

// test is one behaviour, run against a fresh store.
type test struct {
	name string
	fn   func(t *testing.T, s zhengzhao.Store)
}

// t0 is the suite's reference time, at microsecond precision as stores keep
// times.
var t0 = time.Date(2026, 5, 20, 1, 2, 3, 456789000, time.UTC)

// at returns t0 plus d.
func at(d time.Duration) time.Time { return t0.Add(d) }

// update runs fn in an Update and fails the test on an error.
func update(t testing.TB, s zhengzhao.Store, fn func(tx zhengzhao.Tx) error) {
	t.Helper()
	if err := s.Update(t.Context(), fn); err != nil {
		t.Fatalf("Update: %v", err)
	}
}

// view runs fn in a View and fails the test on an error.
func view(t testing.TB, s zhengzhao.Store, fn func(tx zhengzhao.ReadTx) error) {
	t.Helper()
	if err := s.View(t.Context(), fn); err != nil {
		t.Fatalf("View: %v", err)
	}
}

// wantCode fails the test unless err is a *zhengzhao.Error with the code.
func wantCode(t testing.TB, err error, code string) {
	t.Helper()
	var e *zhengzhao.Error
	if !errors.As(err, &e) {
		t.Fatalf("got error %v (%T), want a *zhengzhao.Error with code %s", err, err, code)
	}
	if got := zhengzhao.ErrorCode(err); got != code {
		t.Fatalf("got error %v with code %q, want code %q", err, got, code)
	}
}

// codeOf returns err's code for checks made inside a transaction function,
// where the test must not stop: it reports and lets fn return.
func codeOf(err error) string {
	var e *zhengzhao.Error
	if !errors.As(err, &e) {
		return fmt.Sprintf("%T %v", err, err)
	}
	return zhengzhao.ErrorCode(err)
}

// diff compares want and got; empty and nil slices and maps are equal
// (a store need not tell them apart) except where exact is set.
func diff(want, got any) string {
	return cmp.Diff(want, got, cmpopts.EquateEmpty())
}

// exactDiff compares want and got exactly, for license documents.
func exactDiff(want, got any) string {
	return cmp.Diff(want, got)
}

// ptr returns a pointer to v.
func ptr[T any](v T) *T { return &v }

// uscc returns the nth valid unified social credit code of the suite.
func uscc(n int) string {
	first := fmt.Sprintf("91310115%09d", n)
	c, ok := zhengzhao.USCCCheckChar(first)
	if !ok {
		panic("storetest: bad credit code " + first)
	}
	return first + string(c)
}

// newUnit returns the nth unit of the suite.
func newUnit(n int, roles ...zhengzhao.Role) *zhengzhao.Unit {
	if len(roles) == 0 {
		roles = []zhengzhao.Role{zhengzhao.RoleIssuer}
	}
	u := &zhengzhao.Unit{
		Code:      uscc(n),
		Name:      fmt.Sprintf("上海市浦东新区第%d市场监督管理所", n),
		Roles:     roles,
		Region:    "310115",
		CreatedAt: at(time.Duration(n) * time.Second),
	}
	if u.HasRole(zhengzhao.RoleIssuer) {
		u.SigningAlg = zhengzhao.AlgSM2SM3
	}
	return u
}

// typeCode returns the nth license type code, defined by unit definer.
func typeCode(definer, n int) string { return fmt.Sprintf("%s%03d", uscc(definer), n) }

// newLicenseType returns a license type with a full template.
func newLicenseType(code string, issuers ...string) *zhengzhao.LicenseType {
	return &zhengzhao.LicenseType{
		Code:         code,
		Name:         "食品经营许可证",
		Definer:      code[:18],
		HolderKind:   zhengzhao.HolderOrganization,
		Level:        zhengzhao.LevelMunicipal,
		Public:       true,
		CollectSince: "2022-07-01",
		Fields: []zhengzhao.FieldSpec{
			{Key: "business_scope", Label: "经营项目", Type: zhengzhao.FieldString, Required: true},
			{Key: "capital", Label: "注册资本（元）", Type: zhengzhao.FieldNumber},
			{Key: "category", Label: "主体业态", Type: zhengzhao.FieldEnum, Values: []string{"食品销售经营者", "餐饮服务经营者"}},
			{Key: "approved_on", Label: "批准日期", Type: zhengzhao.FieldDate},
		},
		Issuers:   issuers,
		Owner:     code[:18],
		CreatedAt: t0,
	}
}

// bigNumber is a face-field number that float64 cannot hold.
const bigNumber = "12345678901234567890"

// newLicense returns a signed license of the given type, issuer and
// serial, held by the organization holder.
func newLicense(typ, issuer, serial string, version int, holder string) *zhengzhao.License {
	id := zhengzhao.LicenseID{TypeCode: typ, IssuerCode: issuer, Serial: serial, Version: version}
	l := &zhengzhao.License{
		ID:       id.String(),
		Type:     typ,
		TypeName: "食品经营许可证",
		Version:  id.VersionString(),
		Serial:   serial,
		Number:   "JY1310115" + serial,
		Issuer:   zhengzhao.Party{Code: issuer, Name: "上海市浦东新区市场监督管理局"},
		Holder: zhengzhao.Holder{
			Kind:   zhengzhao.HolderOrganization,
			IDType: zhengzhao.IDTypeUSCC,
			ID:     holder,
			Name:   "上海证照示范餐饮管理有限公司",
		},
		IssuedOn:   "2026-05-20",
		ValidFrom:  "2026-05-20",
		ValidUntil: ptr("2031-05-19"),
		Fields: map[string]any{
			"business_scope": "预包装食品销售（含冷藏冷冻食品）、热食类食品制售 <&> \"引号\"",
			"capital":        json.Number(bigNumber),
			"category":       "餐饮服务经营者",
			"approved_on":    "2026-05-18",
			"ratio":          json.Number("1.50"),
			"tiny":           json.Number("1e-7"),
			"chain":          true,
			"remark":         nil,
			"branches": []any{
				map[string]any{"name": "世纪大道店", "seats": json.Number("120")},
				"张江店",
			},
		},
		SignedAt: t0,
		Status:   zhengzhao.StatusValid,
		Proof: &zhengzhao.Proof{
			Alg:   zhengzhao.AlgSM2SM3,
			KID:   "kid-" + issuer,
			Cert:  "MIIBszCCAVmgAwIBAgIUQm9ndXMgY2VydGlmaWNhdGU=",
			Value: "MEUCIQDx1Zp2bXl2c2lnbmF0dXJl",
		},
	}
	if version > 1 {
		prev := zhengzhao.LicenseID{TypeCode: typ, IssuerCode: issuer, Serial: serial, Version: version - 1}
		l.Supersedes = prev.String()
	}
	return l
}

// ids returns the IDs of licenses.
func ids(ls []*zhengzhao.License) []string {
	out := make([]string, len(ls))
	for i, l := range ls {
		out[i] = l.ID
	}
	return out
}
