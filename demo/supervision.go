package demo

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/zhengzhao-project/zhengzhao"
)

// Supervision activity of the demo, so that the supervision dashboard shows
// real figures: responsible staff for most units, uses of licenses by
// their issuers, reads refused to a using unit, objections (异议) filed by
// the using unit and answered by correction or rejection or still open,
// and a random check with review outcomes.

var contacts = []zhengzhao.UnitContact{
	{Unit: shMarket, Name: "陈建国", Title: "信息中心主任", Phone: "021-64220000", Email: "chenjg@example.gov.cn"},
	{Unit: shHousing, Name: "李卫东", Title: "政务服务处处长", Phone: "13916880012"},
	{Unit: shEmergency, Name: "周海燕", Title: "科技信息处副处长", Email: "zhouhy@example.gov.cn"},
	{Unit: pdCivil, Name: "吴敏", Title: "办公室主任", Phone: "13601791234"},
	{Unit: pdCenter, Name: "钱晓东", Title: "窗口服务科科长", Phone: "021-58788000"},
}

var objectionReasons = []string{
	"照面信息与纸质证照不一致，纸质证照复印件可证。",
	"持证主体已于上月办理变更登记，证照未同步更新。",
	"住所门牌号录入有误，应以不动产权证为准。",
	"经营范围漏录一项，已取得相应许可。",
}

// loadSupervision adds the demo's supervision activity through the services.
func loadSupervision(ctx context.Context, lics zhengzhao.LicenseService, ov zhengzhao.SupervisionService, units map[string]*zhengzhao.Unit,
	issued []*zhengzhao.License, rng *rand.Rand) error {
	as := func(code string) context.Context {
		return zhengzhao.NewContextWithActor(ctx, zhengzhao.Actor{Kind: zhengzhao.ActorUnit, Unit: units[code]})
	}
	for _, c := range contacts {
		c := c
		if err := ov.CreateUnitContact(ctx, &c); err != nil {
			return fmt.Errorf("contact of %s: %w", c.Unit, err)
		}
	}
	// Uses: issuers read some of their licenses; the using unit is refused
	// the documents it may not read.
	for i, lic := range issued {
		if i%3 == 0 {
			if _, err := lics.FindLicenseByID(as(lic.Issuer.Code), lic.ID); err != nil {
				return fmt.Errorf("read %s: %w", lic.ID, err)
			}
		}
		if i%17 == 0 {
			_, _ = lics.FindLicenseByID(as(pdCenter), lic.ID) // refused: counted as a refusal
		}
	}
	// Objections by the using unit: answered with a correction, rejected,
	// or open.
	user := as(pdCenter)
	n := 0
	for i, lic := range issued {
		if i%23 != 5 || lic.Status != zhengzhao.StatusValid || n >= 12 {
			continue
		}
		dt := typeOf(lic.Type)
		if dt == nil || len(dt.Fields) == 0 {
			continue
		}
		field := dt.Fields[rng.IntN(len(dt.Fields))].Key
		o, err := ov.FileObjection(user, &zhengzhao.ObjectionRequest{License: lic.ID, Fields: []string{"fields." + field},
			Reason: objectionReasons[n%len(objectionReasons)]})
		if err != nil {
			return fmt.Errorf("objection to %s: %w", lic.ID, err)
		}
		n++
		issuer := as(lic.Issuer.Code)
		switch n % 4 {
		case 1, 2: // corrected
			up := &zhengzhao.LicenseUpdate{Number: lic.Number, Holder: lic.Holder, IssuedOn: time.Now().Format(zhengzhao.DateLayout),
				ValidFrom: lic.ValidFrom, ValidUntil: lic.ValidUntil, Fields: dt.amend(lic.Fields, rng)}
			if _, err := ov.AnswerObjection(issuer, o.ID, &zhengzhao.ObjectionAnswer{Decision: zhengzhao.DecisionCorrect,
				Reason: "经核实，已按档案更正。", Update: up}); err != nil {
				return fmt.Errorf("correct %s: %w", o.ID, err)
			}
		case 3: // rejected
			if _, err := ov.AnswerObjection(issuer, o.ID, &zhengzhao.ObjectionAnswer{Decision: zhengzhao.DecisionReject,
				Reason: "经核对登记档案，证照信息准确，不予更正。"}); err != nil {
				return fmt.Errorf("reject %s: %w", o.ID, err)
			}
		}
	}
	// A random check of the market regulator's licenses, partly reviewed.
	c, err := ov.CreateRandomCheck(ctx, &zhengzhao.RandomCheckRequest{Unit: shMarket, Kind: zhengzhao.CheckLicenses, Size: 8})
	if err != nil {
		return fmt.Errorf("random check: %w", err)
	}
	for i := range min(5, len(c.Items)) {
		r := &zhengzhao.CheckReview{Outcome: zhengzhao.OutcomePass}
		if i == 2 {
			r = &zhengzhao.CheckReview{Outcome: zhengzhao.OutcomeFail, Note: "照面信息中的住所与登记档案不一致"}
		}
		if _, err := ov.ReviewRandomCheck(ctx, c.ID, i, r); err != nil {
			return fmt.Errorf("review: %w", err)
		}
	}
	return nil
}

// typeOf returns the demo type with the code.
func typeOf(code string) *DemoType {
	for i := range Types {
		if Types[i].Code == code {
			return &Types[i]
		}
	}
	return nil
}
