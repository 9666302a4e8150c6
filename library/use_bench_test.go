package library_test

import (
	"context"
	"flag"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/zhengzhao-project/zhengzhao"
)

// useLicenses is how many licenses BenchmarkExemption fills its library
// with (about three per holder).
var useLicenses = flag.Int("use.licenses", 100_000, "licenses in the library of BenchmarkExemption")

// BenchmarkExemption measures the material-exemption query (art. 14) of a
// using unit: the matter and usage-list lookups, the applicant's licenses
// by holder ID (an index in both stores), the coverage, and the audit
// entry of the query. It reports p50 and p99 per query.
func BenchmarkExemption(b *testing.B) {
	e := newEnv(b)
	ctx := context.Background()
	issuer := demo10USCC("11310000", 1)
	user := demo10USCC("11310115", 2)
	types := []string{issuer + "001", issuer + "002", issuer + "003"}
	start := time.Date(2024, 1, 2, 0, 0, 0, 0, time.UTC)
	n := *useLicenses
	holders := max(1, n/3)
	holderID := func(i int) string { return demo10USCC("91310000", 1_000_000+i) }
	t0 := time.Now()
	err := e.lib.Store().Update(ctx, func(tx zhengzhao.Tx) error {
		for _, u := range []*zhengzhao.Unit{
			{Code: issuer, Name: "发证单位", Roles: []zhengzhao.Role{zhengzhao.RoleIssuer}, Region: "310000", SigningAlg: zhengzhao.AlgSM2SM3, CreatedAt: start},
			{Code: user, Name: "用证单位", Roles: []zhengzhao.Role{zhengzhao.RoleUser}, Region: "310115", CreatedAt: start},
		} {
			if err := tx.CreateUnit(u); err != nil {
				return err
			}
		}
		for _, c := range types {
			if err := tx.CreateLicenseType(&zhengzhao.LicenseType{Code: c, Name: "证照" + c[18:], Definer: issuer, HolderKind: zhengzhao.HolderOrganization,
				Level: zhengzhao.LevelMunicipal, Public: true, CollectSince: "2020-01-01", Issuers: []string{issuer}, Owner: issuer, CreatedAt: start,
				Fields: []zhengzhao.FieldSpec{{Key: "a", Label: "甲", Type: zhengzhao.FieldString}}}); err != nil {
				return err
			}
		}
		m := &zhengzhao.Matter{Code: "M-1", Name: "事项", Owner: user, ApplicantKind: zhengzhao.HolderOrganization, CreatedAt: start, UpdatedAt: start,
			Materials: []zhengzhao.Material{{Key: "a", Name: "甲"}, {Key: "b", Name: "乙"}, {Key: "c", Name: "丙"}}}
		if err := tx.CreateMatter(m); err != nil {
			return err
		}
		return tx.PutUsageList(&zhengzhao.UsageList{Unit: user, Matter: "M-1", UpdatedAt: start, Items: []zhengzhao.UsageItem{
			{Material: "a", LicenseTypes: types[:1]}, {Material: "b", LicenseTypes: types[1:2]}, {Material: "c", LicenseTypes: []string{issuer + "009"}}}})
	})
	if err != nil {
		b.Fatal(err)
	}
	const batch = 5000
	for lo := 0; lo < n; lo += batch {
		err := e.lib.Store().Update(ctx, func(tx zhengzhao.Tx) error {
			for i := lo; i < min(n, lo+batch); i++ {
				h := i % holders
				typ := types[i/holders%len(types)]
				id := zhengzhao.LicenseID{TypeCode: typ, IssuerCode: issuer, Serial: fmt.Sprintf("S%09d", i), Version: 1}
				until := "2034-01-01"
				lic := &zhengzhao.License{ID: id.String(), Type: typ, TypeName: "证照", Version: "001", Serial: id.Serial, Number: id.Serial,
					Issuer: zhengzhao.Party{Code: issuer, Name: "发证单位"}, Holder: zhengzhao.Holder{Kind: zhengzhao.HolderOrganization, IDType: "001", ID: holderID(h), Name: "公司"},
					IssuedOn: "2024-01-02", ValidFrom: "2024-01-02", ValidUntil: &until, Fields: map[string]any{"a": "x"}, SignedAt: start,
					Status: zhengzhao.StatusValid, Proof: &zhengzhao.Proof{Alg: zhengzhao.AlgEdDSA, KID: "k", Value: "AAAA"}}
				if err := tx.CreateLicense(lic); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.Logf("filled %d licenses of %d holders in %s", n, holders, time.Since(t0).Round(time.Millisecond))

	uctx := zhengzhao.NewContextWithActor(ctx, zhengzhao.Actor{Kind: zhengzhao.ActorUnit,
		Unit: &zhengzhao.Unit{Code: user, Name: "用证单位", Roles: []zhengzhao.Role{zhengzhao.RoleUser}, Region: "310115"}})
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		h := (i * 7919) % holders
		r := &zhengzhao.ExemptionRequest{Matter: "M-1", Applicant: zhengzhao.HolderRef{IDType: "001", ID: holderID(h)},
			Context: zhengzhao.UseContext{Operator: "op", MatterCode: "M-1", MatterName: "事项", CaseNumber: fmt.Sprintf("C-%d", i)}}
		t := time.Now()
		ex, err := e.lib.Use.Exemption(uctx, r)
		lat = append(lat, time.Since(t))
		if err != nil {
			b.Fatal(err)
		}
		if n >= 3*holders && (!ex.Materials[0].Exempted || !ex.Materials[1].Exempted || ex.Materials[2].Exempted) {
			b.Fatalf("holder %d: %+v", h, ex.Materials)
		}
	}
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
}

// demo10USCC returns a valid unified social credit code from an 8-digit
// prefix and a number.
func demo10USCC(prefix string, n int) string {
	first := fmt.Sprintf("%s%09d", prefix, n)
	c, _ := zhengzhao.USCCCheckChar(first)
	return first + string(c)
}
