// Measures art. 6 (效力地位): anyone verifies a license — signature, integrity, issuer
// certificate and current status — so the electronic license carries the paper one's force.

package library

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"time"
	"unsafe"

	"github.com/zhengzhao-project/zhengzhao"
)

// offlineCheck is the part of a verification that depends only on the
// document's bytes: signature, certificate chain at the signing time, and
// the few parsed fields the online part needs. It is cached by the SHA-256
// of the bytes, since the same license is shown and checked many times.
type offlineCheck struct {
	signature, trusted bool
	reasons            []string
	license            *zhengzhao.License // nil when the bytes are not a license; else slim
}

// slimLicense keeps of a parsed license only what VerifyLicense reads
// after the offline check: the ID (and so the base), the validity dates,
// the signature value and the composite field. A cached entry is then a
// few hundred bytes instead of the whole document's faces and certificate
// (about 3 KB).
func slimLicense(l *zhengzhao.License) *zhengzhao.License {
	s := &zhengzhao.License{ID: l.ID, ValidFrom: l.ValidFrom, ValidUntil: l.ValidUntil, SignedAt: l.SignedAt}
	if l.Proof != nil {
		s.Proof = &zhengzhao.Proof{Value: l.Proof.Value}
	}
	if v, ok := l.Fields[zhengzhao.CompositeField]; ok {
		s.Fields = map[string]any{zhengzhao.CompositeField: v}
	}
	return s
}

// mapSlot is what a map entry costs beyond its key and value: its share
// of the bucket (tophash, overflow pointer) and the spare room of a map
// that grew by doubling.
const mapSlot = 64

// Sizes of the verification caches' entries on the heap, as their caches
// account them (cache.go). TestVerifyCacheRetainedSize checks them
// against the heap.
func offlineCheckSize(_ [32]byte, oc *offlineCheck) int {
	n := mapSlot + 32 + 8 + int(unsafe.Sizeof(*oc))
	for _, r := range oc.reasons {
		n += 16 + len(r)
	}
	if l := oc.license; l != nil {
		n += 32 // the allocations' rounding up to Go's size classes
		n += int(unsafe.Sizeof(*l)) + len(l.ID) + len(l.ValidFrom)
		if l.ValidUntil != nil {
			n += 16 + len(*l.ValidUntil)
		}
		if l.Proof != nil {
			n += int(unsafe.Sizeof(*l.Proof)) + len(l.Proof.Value)
		}
		if l.Fields != nil {
			n += 256 // a one-entry map
			if v, ok := l.Fields[zhengzhao.CompositeField].(string); ok {
				n += len(v)
			}
		}
	}
	return n
}

func proofSize(id, value string) int { return mapSlot + 32 + len(id) + len(value) }

func statusEntrySize(id string, e statusEntry) int {
	n := mapSlot + 16 + len(id) + int(unsafe.Sizeof(e))
	if st := e.status; st != nil {
		n += int(unsafe.Sizeof(*st))
		if l := st.License; l != nil {
			n += int(unsafe.Sizeof(*l)) + len(l.ID) + len(l.Type) + len(l.Issuer.Code) + len(l.Serial) +
				len(l.Version) + len(l.Status) + len(l.SupersededBy) + len(l.RevocationReason)
			if l.RevokedAt != nil {
				n += int(unsafe.Sizeof(*l.RevokedAt))
			}
		}
	}
	return n
}

func changedSize(base string, _ time.Time) int {
	return mapSlot + 16 + len(base) + int(unsafe.Sizeof(time.Time{}))
}

// VerifyLicense checks a license document offline (signature, issuer
// certificate chained to the library CA, validity period) and online (the
// library knows this exact version and it is current). A bad document is a
// result with reasons, never an error.
func (l *Licenses) VerifyLicense(ctx context.Context, doc []byte) (*zhengzhao.VerifyResult, error) {
	now := l.now()
	key := sha256.Sum256(doc)
	oc, ok := l.verified.get(key)
	if !ok {
		var probe map[string]json.RawMessage
		if err := json.Unmarshal(doc, &probe); err != nil || probe == nil {
			return nil, zhengzhao.Invalid("invalid document", []zhengzhao.FieldError{{Field: "", Message: "the body must be a license document (a JSON object)"}})
		}
		chk := l.trust.VerifyDocument(doc, now)
		oc = &offlineCheck{signature: chk.Signature, trusted: chk.IssuerTrusted, reasons: chk.Reasons}
		var lic zhengzhao.License
		if err := json.Unmarshal(doc, &lic); err != nil {
			oc.reasons = append(append([]string{}, oc.reasons...), "the document is not a license: "+err.Error())
		} else {
			oc.license = slimLicense(&lic)
		}
		// Without signed_at the chain was checked at now: not cacheable.
		if oc.license != nil && !oc.license.SignedAt.IsZero() {
			l.verified.put(key, oc)
		}
	}

	res := &zhengzhao.VerifyResult{Status: zhengzhao.StatusUnknown, VerifiedAt: now.UTC(),
		Checks:  zhengzhao.VerifyChecks{Signature: oc.signature, IssuerTrusted: oc.trusted},
		Reasons: append([]string{}, oc.reasons...)}
	lic := oc.license
	if lic == nil {
		return res, nil
	}
	res.ID = lic.ID
	res.Checks.InValidityPeriod = lic.InValidityPeriod(now)
	if !res.Checks.InValidityPeriod {
		res.Reasons = append(res.Reasons, "today is outside the validity period "+validity(lic))
	}

	var (
		stored     *zhengzhao.License
		proofValue string
	)
	// One statement for the status; the stored signature value is cached
	// (a version's signed content never changes), so a warm verification
	// costs the database one round trip and no transaction.
	var err error
	if st, ok := l.statuses.get(lic.ID, lic.Base(), now); ok {
		stored, res.UnderObjection = copyStatus(st.License), st.UnderObjection
		proofValue, ok = l.proofs.get(lic.ID)
		if !ok {
			stored = nil // rare: the proof left its cache first
		}
	}
	if stored == nil {
		fetched := l.now() // before the read: a change after it invalidates the entry
		err = l.store.Peek(ctx, func(tx zhengzhao.ReadTx) error {
			st, err := tx.FindLicenseStatus(lic.ID)
			if err != nil {
				return err
			}
			l.statuses.put(lic.ID, st, fetched)
			stored, res.UnderObjection = copyStatus(st.License), st.UnderObjection
			proofValue, err = l.storedProof(tx, lic.ID)
			return err
		})
	}
	switch {
	case zhengzhao.ErrorCode(err) == zhengzhao.ENOTFOUND:
		res.Reasons = append(res.Reasons, "the library has no license "+lic.ID)
	case err != nil:
		return nil, err
	default:
		same := lic.Proof != nil && lic.Proof.Value == proofValue
		if same {
			// The validity dates are signed content: with the same
			// signature, the document's dates are the library's.
			stored.ValidFrom, stored.ValidUntil = lic.ValidFrom, lic.ValidUntil
		}
		res.Status = stored.StatusAt(now)
		res.SupersededBy = stored.SupersededBy
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
	if _, composite := lic.Fields[zhengzhao.CompositeField]; composite { // one map lookup on the fast path
		if err := l.verifyComponents(ctx, lic, res, now); err != nil {
			return nil, err
		}
	}
	return res, nil
}

// storedProof returns the signature value the library holds for a license
// ID. A version's signed content never changes, so it is cached.
func (l *core) storedProof(tx zhengzhao.ReadTx, id string) (string, error) {
	if v, ok := l.proofs.get(id); ok {
		return v, nil
	}
	full, err := tx.FindLicenseByID(id)
	if err != nil {
		return "", err
	}
	var v string
	if full.Proof != nil {
		v = full.Proof.Value
	}
	l.proofs.put(id, v)
	return v, nil
}

// copyStatus copies a cached status, which VerifyLicense then adjusts.
func copyStatus(l *zhengzhao.License) *zhengzhao.License {
	c := *l
	return &c
}

func validity(l *zhengzhao.License) string {
	until := "…"
	if l.ValidUntil != nil {
		until = *l.ValidUntil
	}
	return l.ValidFrom + " – " + until
}
