// Measures art. 19 (可信授权访问): signed disclosures of exactly the granted fields.

package library

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/zhengzhao-project/zhengzhao"
	"github.com/zhengzhao-project/zhengzhao/sign"
)

// Disclosures: what a unit receives of a license without getting the
// issuer-signed document — under a holder's grant (art. 18–19) or under a
// government scenario (art. 15) — is a document signed by the library's
// display key, certified by the library CA. The receiving unit keeps it
// and proves later, offline, exactly which fields and values it received,
// of which license version, when and why.

// libraryIssuer is the library as the signer of its own documents
// (consent receipts, disclosures): the display certificate's subject.
var libraryIssuer = zhengzhao.Party{Code: sign.DisplaySubject, Name: receiptIssuerName}

// errRefused carries a refusal out of the transaction that found it, so
// that the refusal is audited in a transaction of its own.
type errRefused struct{ err error }

func (e *errRefused) Error() string { return e.err.Error() }

// signLibraryDocument signs v, a document with a Proof member that is
// nil, and returns the proof.
func signLibraryDocument(s *sign.Signer, v any) (*zhengzhao.Proof, error) {
	doc, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return sign.SignDocument(s, doc)
}

// verifyLibraryDocument checks offline that doc is signed by the library's
// display key, certified by a CA of the trust store at the time at (the
// document's signed_at wins when it has one), and that its type is typ.
// A document signed by any other certificate of the CA, an issuing unit's
// say, does not verify: only the library speaks for the library.
func verifyLibraryDocument(ts *sign.TrustStore, doc []byte, typ string, at time.Time) error {
	var d struct {
		Type string `json:"type"`
	}
	if err := json.Unmarshal(doc, &d); err != nil {
		return err
	}
	if d.Type != typ {
		return fmt.Errorf("type %q, want %q", d.Type, typ)
	}
	chk := ts.VerifyDocument(doc, at)
	if !chk.Signature || !chk.IssuerTrusted {
		return errors.New(strings.Join(chk.Reasons, "; "))
	}
	if chk.IssuerCode != sign.DisplaySubject {
		return fmt.Errorf("signed by %s, not by the library", chk.IssuerCode)
	}
	return nil
}

// VerifyGrantDisclosure checks a disclosure under a grant offline against a
// trust store holding the library's CA (GET /v1/keys?format=pem): the
// library's signature over every member but "proof", the display
// certificate's chain at disclosed_at, and the type. It returns the
// disclosure, or an error saying why it does not verify.
func VerifyGrantDisclosure(ts *sign.TrustStore, doc []byte) (*zhengzhao.GrantDisclosure, error) {
	var d zhengzhao.GrantDisclosure
	if err := json.Unmarshal(doc, &d); err != nil {
		return nil, fmt.Errorf("grant disclosure: %w", err)
	}
	if err := verifyLibraryDocument(ts, doc, zhengzhao.GrantDisclosureType, d.DisclosedAt); err != nil {
		return nil, fmt.Errorf("grant disclosure: %w", err)
	}
	return &d, nil
}

// VerifyScenarioDisclosure checks a disclosure under a government scenario
// offline, as VerifyGrantDisclosure does. An embedded license document is
// covered by the library's signature; its own issuer signature is checked
// with VerifyDocument of the same trust store.
func VerifyScenarioDisclosure(ts *sign.TrustStore, doc []byte) (*zhengzhao.ScenarioDisclosure, error) {
	var d zhengzhao.ScenarioDisclosure
	if err := json.Unmarshal(doc, &d); err != nil {
		return nil, fmt.Errorf("scenario disclosure: %w", err)
	}
	if err := verifyLibraryDocument(ts, doc, zhengzhao.ScenarioDisclosureType, d.DisclosedAt); err != nil {
		return nil, fmt.Errorf("scenario disclosure: %w", err)
	}
	return &d, nil
}

// discloseFields returns the named fields of a license (face fields and
// the pseudo-fields holder.name, number, valid_until); ScenarioAllFields
// alone names every face field and pseudo-field. A license that is no
// longer valid discloses its status only.
func discloseFields(lic *zhengzhao.License, fields []string, now time.Time) zhengzhao.DisclosedLicense {
	dl := zhengzhao.DisclosedLicense{ID: lic.ID, Version: lic.Version, Type: lic.Type, TypeName: lic.TypeName,
		Status: lic.StatusAt(now), Fields: map[string]any{}}
	if dl.Status != zhengzhao.StatusValid {
		return dl
	}
	if len(fields) == 1 && fields[0] == zhengzhao.ScenarioAllFields {
		fields = []string{zhengzhao.ShowHolderName, zhengzhao.ShowNumber, zhengzhao.ShowValidUntil}
		for k := range lic.Fields {
			fields = append(fields, k)
		}
	}
	for _, k := range fields {
		switch k {
		case zhengzhao.ShowHolderName:
			dl.Fields[k] = lic.Holder.Name
		case zhengzhao.ShowNumber:
			dl.Fields[k] = lic.Number
		case zhengzhao.ShowValidUntil:
			if lic.ValidUntil != nil {
				dl.Fields[k] = *lic.ValidUntil
			}
		default:
			if v, ok := lic.Fields[k]; ok {
				dl.Fields[k] = v
			}
		}
	}
	return dl
}

// scenarioForUse returns the using unit's scenario that lets it read a
// license of licenseType now, or the refusal: the one rule of use under a
// government scenario. It is read in the transaction of the use, so a
// suspension stops the next use at once.
func scenarioForUse(tx zhengzhao.ReadTx, unit, id, licenseType string) (*zhengzhao.Scenario, zhengzhao.ScenarioItem, error) {
	sc, err := tx.FindScenarioByID(id)
	switch {
	case zhengzhao.ErrorCode(err) == zhengzhao.ENOTFOUND || (err == nil && sc.Unit != unit):
		return nil, zhengzhao.ScenarioItem{}, zhengzhao.Invalid("unknown scenario", []zhengzhao.FieldError{{Field: "scenario", Message: "you have no scenario " + id}})
	case err != nil:
		return nil, zhengzhao.ScenarioItem{}, err
	case sc.Kind != zhengzhao.ScenarioGovernment:
		return nil, zhengzhao.ScenarioItem{}, zhengzhao.Invalid("not a government scenario",
			[]zhengzhao.FieldError{{Field: "scenario", Message: "a using unit fetches under a government scenario; social use needs the holder's grant"}})
	}
	if reason := sc.InForce(); reason != "" {
		return nil, zhengzhao.ScenarioItem{}, zhengzhao.Errorf(zhengzhao.EFORBIDDEN, "%s", reason)
	}
	it, ok := sc.Item(licenseType)
	if !ok {
		return nil, zhengzhao.ScenarioItem{}, zhengzhao.Errorf(zhengzhao.EFORBIDDEN, "scenario %s does not cover license type %s", sc.ID, licenseType)
	}
	return sc, it, nil
}

// FetchUnderScenario discloses the fields a government scenario allows of
// one license to the scenario's using unit, for a case (art. 15: use
// beyond the usage lists after a data-sharing application). The scenario
// must be the unit's, approved (not pending, rejected or suspended) and
// cover the license's type. The fetch is audited on the license as
// use.fetch with the five context items, the scenario and the disclosed
// fields; a refusal is audited as use.refused.
func (l *Use) FetchUnderScenario(ctx context.Context, r *zhengzhao.ScenarioFetchRequest) (*zhengzhao.ScenarioDisclosure, error) {
	var fe []zhengzhao.FieldError
	if r.Scenario == "" {
		fe = append(fe, zhengzhao.FieldError{Field: "scenario", Message: "required"})
	}
	if r.License == "" {
		fe = append(fe, zhengzhao.FieldError{Field: "license", Message: "required"})
	}
	refusal := func() zhengzhao.AuditEntry {
		d := r.Context.Details()
		d["scenario"] = r.Scenario
		return zhengzhao.AuditEntry{License: r.License, Subject: r.Scenario, Details: d}
	}
	uc, err := l.checkUse(ctx, &r.Context, fe, false, nil)
	if err != nil {
		return nil, l.refuse(ctx, err, refusal())
	}
	s, err := l.displaySigner(ctx)
	if err != nil {
		return nil, err
	}
	var out *zhengzhao.ScenarioDisclosure
	err = l.store.Update(ctx, func(tx zhengzhao.Tx) error {
		lic, err := tx.FindLicenseByID(r.License)
		if err != nil {
			if zhengzhao.ErrorCode(err) == zhengzhao.ENOTFOUND {
				return &errRefused{err}
			}
			return err
		}
		sc, it, err := scenarioForUse(tx, uc.unit.Code, r.Scenario, lic.Type)
		if err != nil {
			if c := zhengzhao.ErrorCode(err); c == zhengzhao.EINVALID || c == zhengzhao.EFORBIDDEN {
				return &errRefused{err}
			}
			return err
		}
		now := tx.Now().UTC().Truncate(time.Second)
		l.effective(lic)
		out = &zhengzhao.ScenarioDisclosure{Type: zhengzhao.ScenarioDisclosureType, Issuer: libraryIssuer, Scenario: sc.ID,
			Unit: zhengzhao.Party{Code: uc.unit.Code, Name: uc.unit.Name}, Context: r.Context, Holder: lic.Holder.Ref(),
			License: discloseFields(lic, it.Fields, l.now()), DisclosedAt: now}
		if it.AllFields() {
			if out.Document, err = json.Marshal(lic); err != nil {
				return err
			}
		}
		if out.Proof, err = signLibraryDocument(s, out); err != nil {
			return fmt.Errorf("sign scenario disclosure: %w", err)
		}
		d := r.Context.Details()
		d["scenario"] = sc.ID
		d["scenario_name"] = sc.Name
		d["fields"] = strings.Join(sortedFieldKeys(out.License.Fields), ",")
		if it.AllFields() {
			d["fields"] = zhengzhao.ScenarioAllFields
		}
		return audit(ctx, tx, zhengzhao.AuditEntry{Action: zhengzhao.ActionUseFetch, License: lic.ID, LicenseBase: lic.Base(),
			Subject: uc.matter.Code, Details: d})
	})
	var refused *errRefused
	if errors.As(err, &refused) {
		return nil, l.refuse(ctx, refused.err, refusal())
	}
	if err != nil {
		return nil, fmt.Errorf("fetch license %s under scenario %s: %w", r.License, r.Scenario, err)
	}
	return out, nil
}
