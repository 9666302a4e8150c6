package demo

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"

	"github.com/zhengzhao-project/zhengzhao"
)

// The use area of the demo (Measures art. 13–19): two service matters of
// the Pudong enterprise service centre with its usage lists, an applicant
// company that holds a business license and a food business license (so
// that two of the three materials of the food-license renewal are
// exempted), and the bank's approved social scenario that asks for two
// fields of the business license, so that the consent flow can be walked
// at once.

// Matters are the demo service matters, owned by the Pudong enterprise
// service centre (a using unit).
var Matters = []zhengzhao.Matter{
	{Code: "310115-SPJY-0002", Name: "食品经营许可证延续", Owner: pdCenter, ApplicantKind: zhengzhao.HolderOrganization,
		Materials: []zhengzhao.Material{
			{Key: "business_license", Name: "营业执照"},
			{Key: "food_license", Name: "原食品经营许可证"},
			{Key: "food_safety_rules", Name: "食品安全管理制度文本"},
		}},
	{Code: "310115-JZSG-0001", Name: "建筑工程施工许可", Owner: pdCenter, ApplicantKind: zhengzhao.HolderOrganization,
		Materials: []zhengzhao.Material{
			{Key: "business_license", Name: "营业执照"},
			{Key: "safety_permit", Name: "建筑施工企业安全生产许可证"},
			{Key: "drawing_review", Name: "施工图设计文件审查合格书"},
		}},
}

// usageLists map the matters' materials to the demo license types.
var usageLists = []zhengzhao.UsageList{
	{Unit: pdCenter, Matter: "310115-SPJY-0002", Items: []zhengzhao.UsageItem{
		{Material: "business_license", LicenseTypes: []string{samr + "001"}},
		{Material: "food_license", LicenseTypes: []string{samr + "002"}},
	}},
	{Unit: pdCenter, Matter: "310115-JZSG-0001", Items: []zhengzhao.UsageItem{
		{Material: "business_license", LicenseTypes: []string{samr + "001"}},
		{Material: "safety_permit", LicenseTypes: []string{mohurd + "001"}},
	}},
}

// BankFields are the two business-license fields of the bank's scenario.
var BankFields = []string{"legal_representative", "address"}

// UseDemo is what the demo prints for the use area.
type UseDemo struct {
	UsingUnit   string
	Matter      zhengzhao.Matter
	Applicant   zhengzhao.Holder
	License     string // the applicant's business license
	Bank        string
	Scenario    string
	LicenseType string
}

// String renders the use area's demo codes for the terminal.
func (u *UseDemo) String() string {
	var b strings.Builder
	mats := make([]string, len(u.Matter.Materials))
	for i, m := range u.Matter.Materials {
		mats[i] = m.Key
	}
	fmt.Fprintf(&b, "  using licenses (art. 13-19):\n")
	fmt.Fprintf(&b, "    matter:    %s %s (materials %s), using unit %s\n", u.Matter.Code, u.Matter.Name, strings.Join(mats, ", "), u.UsingUnit)
	fmt.Fprintf(&b, "    applicant: %s:%s %s, business license %s\n", u.Applicant.IDType, u.Applicant.ID, u.Applicant.Name, u.License)
	fmt.Fprintf(&b, "    bank:      %s, approved social scenario %s for fields %s of type %s\n", u.Bank, u.Scenario, strings.Join(BankFields, ","), u.LicenseType)
	return b.String()
}

// loadUse adds the use area's demo data through the services.
func loadUse(ctx context.Context, lics zhengzhao.LicenseService, use zhengzhao.UseService, units map[string]*zhengzhao.Unit,
	issued []*zhengzhao.License, rng *rand.Rand) (*UseDemo, error) {
	as := func(code string) context.Context {
		return zhengzhao.NewContextWithActor(ctx, zhengzhao.Actor{Kind: zhengzhao.ActorUnit, Unit: units[code]})
	}
	for _, m := range Matters {
		m := m
		m.Materials = append([]zhengzhao.Material(nil), m.Materials...)
		if err := use.CreateMatter(as(pdCenter), &m); err != nil {
			return nil, fmt.Errorf("matter %s: %w", m.Code, err)
		}
	}
	for _, u := range usageLists {
		u := u
		if _, err := use.PutUsageList(as(pdCenter), &u); err != nil {
			return nil, fmt.Errorf("usage list %s: %w", u.Matter, err)
		}
	}
	// The applicant: the holder of the first business license, which the
	// history step leaves current. It also gets a food business license.
	var biz *zhengzhao.License
	for _, lic := range issued {
		if lic.Type == samr+"001" && lic.Status == zhengzhao.StatusValid {
			biz = lic
			break
		}
	}
	if biz == nil {
		return nil, fmt.Errorf("no current business license in the demo data")
	}
	req := Types[1].request(rng)
	req.Holder = biz.Holder
	req.Fields["legal_representative"] = biz.Fields["legal_representative"]
	until := "2029-05-31"
	req.IssuedOn, req.ValidFrom, req.ValidUntil = "2024-06-01", "2024-06-01", &until
	if _, err := lics.IssueLicense(as(shMarket), req, ""); err != nil {
		return nil, fmt.Errorf("food license of the demo applicant: %w", err)
	}
	sc := &zhengzhao.Scenario{Kind: zhengzhao.ScenarioSocial, Name: "对公账户开户企业信息核验",
		Purpose: "开立单位银行结算账户时核验企业法定代表人与住所",
		Items:   []zhengzhao.ScenarioItem{{LicenseType: samr + "001", Fields: BankFields}}}
	if err := use.ApplyScenario(as(icbcSH), sc); err != nil {
		return nil, fmt.Errorf("bank scenario: %w", err)
	}
	if _, err := use.DecideScenario(ctx, sc.ID, &zhengzhao.ScenarioDecision{Decision: "approve", Note: "经审核，用证范围与开户核验需要相符"}); err != nil {
		return nil, fmt.Errorf("approve bank scenario: %w", err)
	}
	return &UseDemo{UsingUnit: pdCenter, Matter: Matters[0], Applicant: biz.Holder, License: biz.ID,
		Bank: icbcSH, Scenario: sc.ID, LicenseType: samr + "001"}, nil
}
