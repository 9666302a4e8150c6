package storetest

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/zhengzhao-project/zhengzhao"
)

// useTests pin down the stores' UseReadTx and UseTx.
var useTests = []test{
	{"Matters", testMatters},
	{"UsageLists", testUsageLists},
	{"Scenarios", testScenarios},
	{"Grants", testGrants},
}

func newMatter(code string, owner int) *zhengzhao.Matter {
	return &zhengzhao.Matter{Code: code, Name: "事项 " + code, Owner: uscc(owner), ApplicantKind: zhengzhao.HolderOrganization,
		Materials: []zhengzhao.Material{{Key: "business_license", Name: "营业执照"}, {Key: "lease", Name: "租赁合同"}},
		CreatedAt: t0, UpdatedAt: t0}
}

func testMatters(t *testing.T, s zhengzhao.Store) {
	a, b, c := newMatter("310000-A", 1), newMatter("310000-B", 2), newMatter("310000-C", 1)
	update(t, s, func(tx zhengzhao.Tx) error {
		for _, m := range []*zhengzhao.Matter{c, a, b} {
			if err := tx.CreateMatter(m); err != nil {
				return err
			}
		}
		wantCode(t, tx.CreateMatter(a), zhengzhao.ECONFLICT)
		a.Name, a.UpdatedAt = "新名称", at(time.Hour)
		if err := tx.UpdateMatter(a); err != nil {
			return err
		}
		wantCode(t, tx.UpdateMatter(newMatter("nope", 1)), zhengzhao.ENOTFOUND)
		return nil
	})
	view(t, s, func(tx zhengzhao.ReadTx) error {
		got, err := tx.FindMatterByCode(a.Code)
		if err != nil {
			t.Fatal(err)
		}
		if d := diff(a, got); d != "" {
			t.Errorf("matter (-want +got):\n%s", d)
		}
		_, err = tx.FindMatterByCode("nope")
		wantCode(t, err, zhengzhao.ENOTFOUND)
		all, err := tx.FindMatters("")
		if err != nil {
			t.Fatal(err)
		}
		if d := diff([]*zhengzhao.Matter{a, b, c}, all); d != "" {
			t.Errorf("all matters by code (-want +got):\n%s", d)
		}
		own, err := tx.FindMatters(uscc(1))
		if err != nil {
			t.Fatal(err)
		}
		if d := diff([]*zhengzhao.Matter{a, c}, own); d != "" {
			t.Errorf("owner's matters (-want +got):\n%s", d)
		}
		return nil
	})
}

func testUsageLists(t *testing.T, s zhengzhao.Store) {
	l1 := &zhengzhao.UsageList{Unit: uscc(1), Matter: "M1", UpdatedAt: t0,
		Items: []zhengzhao.UsageItem{{Material: "business_license", LicenseTypes: []string{typeCode(9, 1)}}}}
	l2 := &zhengzhao.UsageList{Unit: uscc(2), Matter: "M1", UpdatedAt: t0,
		Items: []zhengzhao.UsageItem{{Material: "lease", LicenseTypes: []string{typeCode(9, 2), typeCode(9, 3)}}}}
	update(t, s, func(tx zhengzhao.Tx) error {
		if err := tx.PutUsageList(l1); err != nil {
			return err
		}
		return tx.PutUsageList(l2)
	})
	l1.Items[0].LicenseTypes = []string{typeCode(9, 4)}
	l1.UpdatedAt = at(time.Minute)
	update(t, s, func(tx zhengzhao.Tx) error { return tx.PutUsageList(l1) }) // replaces
	view(t, s, func(tx zhengzhao.ReadTx) error {
		got, err := tx.FindUsageList(uscc(1), "M1")
		if err != nil {
			t.Fatal(err)
		}
		if d := diff(l1, got); d != "" {
			t.Errorf("usage list (-want +got):\n%s", d)
		}
		_, err = tx.FindUsageList(uscc(1), "M2")
		wantCode(t, err, zhengzhao.ENOTFOUND)
		all, err := tx.FindUsageLists("")
		if err != nil {
			t.Fatal(err)
		}
		if len(all) != 2 || all[0].Unit != uscc(1) || all[1].Unit != uscc(2) {
			t.Errorf("all usage lists: %+v", all)
		}
		one, err := tx.FindUsageLists(uscc(2))
		if err != nil {
			t.Fatal(err)
		}
		if d := diff([]*zhengzhao.UsageList{l2}, one); d != "" {
			t.Errorf("unit's usage lists (-want +got):\n%s", d)
		}
		return nil
	})
	update(t, s, func(tx zhengzhao.Tx) error {
		if err := tx.DeleteUsageList(uscc(1), "M1"); err != nil {
			return err
		}
		wantCode(t, tx.DeleteUsageList(uscc(1), "M1"), zhengzhao.ENOTFOUND)
		return nil
	})
}

func newScenario(id string, unit int, region, kind string) *zhengzhao.Scenario {
	return &zhengzhao.Scenario{ID: id, Unit: uscc(unit), Region: region, Kind: kind, Name: "开户", Purpose: "核验企业身份",
		Items:  []zhengzhao.ScenarioItem{{LicenseType: typeCode(9, 1), Fields: []string{"legal_representative", "holder.name"}}},
		Status: zhengzhao.ScenarioPending, CreatedAt: t0}
}

func testScenarios(t *testing.T, s zhengzhao.Store) {
	a := newScenario("sc-1", 1, "310115", zhengzhao.ScenarioSocial)
	b := newScenario("sc-2", 2, "310104", zhengzhao.ScenarioSocial)
	c := newScenario("sc-3", 1, "310115", zhengzhao.ScenarioGovernment)
	update(t, s, func(tx zhengzhao.Tx) error {
		for _, sc := range []*zhengzhao.Scenario{a, b, c} {
			if err := tx.CreateScenario(sc); err != nil {
				return err
			}
		}
		wantCode(t, tx.CreateScenario(a), zhengzhao.ECONFLICT)
		d := at(time.Hour)
		a.Status, a.DecidedBy, a.DecidedAt = zhengzhao.ScenarioApproved, "unit:"+uscc(5), &d
		if err := tx.UpdateScenario(a); err != nil {
			return err
		}
		wantCode(t, tx.UpdateScenario(newScenario("nope", 1, "310115", zhengzhao.ScenarioSocial)), zhengzhao.ENOTFOUND)
		return nil
	})
	view(t, s, func(tx zhengzhao.ReadTx) error {
		got, err := tx.FindScenarioByID("sc-1")
		if err != nil {
			t.Fatal(err)
		}
		if d := diff(a, got); d != "" {
			t.Errorf("scenario (-want +got):\n%s", d)
		}
		_, err = tx.FindScenarioByID("nope")
		wantCode(t, err, zhengzhao.ENOTFOUND)
		for name, c := range map[string]struct {
			f    zhengzhao.ScenarioFilter
			want []string
		}{
			"all":      {zhengzhao.ScenarioFilter{}, []string{"sc-1", "sc-2", "sc-3"}},
			"unit":     {zhengzhao.ScenarioFilter{Unit: ptr(uscc(1))}, []string{"sc-1", "sc-3"}},
			"region":   {zhengzhao.ScenarioFilter{Region: ptr("310104")}, []string{"sc-2"}},
			"status":   {zhengzhao.ScenarioFilter{Status: ptr(zhengzhao.ScenarioApproved)}, []string{"sc-1"}},
			"kind":     {zhengzhao.ScenarioFilter{Kind: ptr(zhengzhao.ScenarioGovernment)}, []string{"sc-3"}},
			"combined": {zhengzhao.ScenarioFilter{Region: ptr("310115"), Kind: ptr(zhengzhao.ScenarioSocial)}, []string{"sc-1"}},
		} {
			got, err := tx.FindScenarios(c.f)
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, s := range got {
				ids = append(ids, s.ID)
			}
			if d := diff(c.want, ids); d != "" {
				t.Errorf("%s (-want +got):\n%s", name, d)
			}
		}
		return nil
	})
}

func testGrants(t *testing.T, s zhengzhao.Store) {
	g := &zhengzhao.Grant{ID: "g-1", Scenario: "sc-1", Unit: uscc(1), UnitName: "银行", Holder: holderA, Purpose: "开户",
		Items: []zhengzhao.ScenarioItem{{LicenseType: typeCode(9, 1), Fields: []string{"a", "b"}}}, ValidUntil: at(24 * time.Hour),
		Status: zhengzhao.GrantRequested, CreatedAt: t0}
	g2 := *g
	g2.ID, g2.Holder, g2.Unit = "g-2", holderB, uscc(2)
	update(t, s, func(tx zhengzhao.Tx) error {
		if err := tx.CreateGrant(g); err != nil {
			return err
		}
		if err := tx.CreateGrant(&g2); err != nil {
			return err
		}
		wantCode(t, tx.CreateGrant(g), zhengzhao.ECONFLICT)
		d := at(time.Minute)
		g.Status, g.DecidedAt, g.Licenses, g.Uses = zhengzhao.GrantApproved, &d, []string{"base-1"}, 2
		g.Receipt = json.RawMessage(`{"type":"r","proof":{"alg":"EdDSA"}}`)
		if err := tx.UpdateGrant(g); err != nil {
			return err
		}
		missing := g2
		missing.ID = "nope"
		wantCode(t, tx.UpdateGrant(&missing), zhengzhao.ENOTFOUND)
		return nil
	})
	view(t, s, func(tx zhengzhao.ReadTx) error {
		got, err := tx.FindGrantByID("g-1")
		if err != nil {
			t.Fatal(err)
		}
		if d := diff(g, got); d != "" {
			t.Errorf("grant (-want +got):\n%s", d)
		}
		_, err = tx.FindGrantByID("nope")
		wantCode(t, err, zhengzhao.ENOTFOUND)
		byHolder, err := tx.FindGrants(zhengzhao.GrantFilter{Holder: &holderB})
		if err != nil {
			t.Fatal(err)
		}
		byUnit, err := tx.FindGrants(zhengzhao.GrantFilter{Unit: ptr(uscc(1))})
		if err != nil {
			t.Fatal(err)
		}
		all, err := tx.FindGrants(zhengzhao.GrantFilter{})
		if err != nil {
			t.Fatal(err)
		}
		if len(byHolder) != 1 || byHolder[0].ID != "g-2" || len(byUnit) != 1 || byUnit[0].ID != "g-1" || len(all) != 2 || all[0].ID != "g-1" {
			t.Errorf("grant lists: holder %v, unit %v, all %v", byHolder, byUnit, all)
		}
		return nil
	})
}
