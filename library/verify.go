package library

import (
	"context"
	"encoding/json"

	"github.com/zhengzhao-project/zhengzhao"
)

// VerifyLicense checks a license document offline (signature, issuer
// certificate chained to the library CA, validity period) and online (the
// library knows this exact version and it is current). A bad document is a
// result with reasons, never an error.
func (l *Library) VerifyLicense(ctx context.Context, doc []byte) (*zhengzhao.VerifyResult, error) {
	now := l.now()
	var probe map[string]json.RawMessage
	if err := json.Unmarshal(doc, &probe); err != nil || probe == nil {
		return nil, zhengzhao.Invalid("invalid document", []zhengzhao.FieldError{{Field: "", Message: "the body must be a license document (a JSON object)"}})
	}
	res := &zhengzhao.VerifyResult{Status: zhengzhao.StatusUnknown, Reasons: []string{}, VerifiedAt: now.UTC()}

	chk := l.trust.VerifyDocument(doc, now)
	res.Checks.Signature = chk.Signature
	res.Checks.IssuerTrusted = chk.IssuerTrusted
	res.Reasons = append(res.Reasons, chk.Reasons...)

	var lic zhengzhao.License
	if err := json.Unmarshal(doc, &lic); err != nil {
		res.Reasons = append(res.Reasons, "the document is not a license: "+err.Error())
		return res, nil
	}
	res.ID = lic.ID
	res.Checks.InValidityPeriod = lic.InValidityPeriod(now)
	if !res.Checks.InValidityPeriod {
		res.Reasons = append(res.Reasons, "today is outside the validity period "+validity(&lic))
	}

	var stored *zhengzhao.License
	err := l.store.View(ctx, func(tx zhengzhao.ReadTx) (err error) {
		if stored, err = tx.FindLicenseByID(lic.ID); err != nil {
			return err
		}
		res.UnderObjection, err = tx.HasOpenObjection(stored.Base())
		return err
	})
	switch {
	case zhengzhao.ErrorCode(err) == zhengzhao.ENOTFOUND:
		res.Reasons = append(res.Reasons, "the library has no license "+lic.ID)
	case err != nil:
		return nil, err
	default:
		res.Status = stored.StatusAt(now)
		res.SupersededBy = stored.SupersededBy
		same := lic.Proof != nil && stored.Proof != nil && lic.Proof.Value == stored.Proof.Value
		switch {
		case !same:
			res.Reasons = append(res.Reasons, "the document is not the one the library holds for "+lic.ID)
		case res.Status == zhengzhao.StatusValid:
			res.Checks.Current = true
		case res.Status == zhengzhao.StatusSuperseded:
			res.Reasons = append(res.Reasons, "superseded by "+stored.SupersededBy)
		case res.Status == zhengzhao.StatusRevoked:
			r := "revoked"
			if stored.RevocationReason != "" {
				r += ": " + stored.RevocationReason
			}
			res.Reasons = append(res.Reasons, r)
		case res.Status == zhengzhao.StatusExpired:
			res.Reasons = append(res.Reasons, "expired")
		}
	}
	res.Valid = res.Checks.Signature && res.Checks.IssuerTrusted && res.Checks.InValidityPeriod && res.Checks.Current
	return res, nil
}

func validity(l *zhengzhao.License) string {
	until := "…"
	if l.ValidUntil != nil {
		until = *l.ValidUntil
	}
	return l.ValidFrom + " – " + until
}
