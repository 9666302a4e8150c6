// Measures art. 16 (持证主体亮证): short-lived signed display tokens (QR) that holders
// show, and their verification.

package library

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/zhengzhao-project/zhengzhao"
	"github.com/zhengzhao-project/zhengzhao/sign"
)

// QR code capacity: a version 10 symbol at error correction level M holds
// 213 bytes in byte mode. The URL is <base>/v/<token>.
const (
	qrCapacity      = 213
	defaultBaseLen  = 40 // assumed when no base URL is configured
	displayKeyLife  = 2 * 365 * 24 * time.Hour
	displayKeySlack = 30 * 24 * time.Hour // rotate a key this long before it ends
	maxDisplayTTL   = 10 * time.Minute
	minDisplayTTL   = 10 * time.Second
	trustReloadGap  = 5 * time.Second
)

// maxTokenLen returns the longest encoded token that keeps the QR code of
// the URL at version 10, level M.
func (o HolderOptions) maxTokenLen() int {
	base := defaultBaseLen
	if o.BaseURL != "" {
		base = len(o.BaseURL)
	}
	return qrCapacity - base - len("/v/")
}

// PresentationURL returns the URL a QR code encodes for token.
func (l *Holders) PresentationURL(token string) string {
	return l.holderOpts().BaseURL + "/v/" + token
}

// displaySigner returns the key that signs display tokens, creating and
// certifying one on first use and when the current one nears its end.
func (l *core) displaySigner(ctx context.Context) (*sign.Signer, error) {
	now := l.now()
	l.holder.mu.Lock()
	s, notAfter := l.holder.display, l.holder.notAfter
	l.holder.mu.Unlock()
	if s != nil && now.Add(displayKeySlack).Before(notAfter) {
		return s, nil
	}
	keys, err := l.loadDisplayKeys(ctx)
	if err != nil {
		return nil, err
	}
	var k *zhengzhao.DisplayKey
	for _, dk := range keys {
		if now.Add(displayKeySlack).Before(dk.NotAfter) && !now.Before(dk.NotBefore) {
			k = dk // the newest usable key wins
		}
	}
	if k == nil {
		if k, err = l.newDisplayKey(ctx); err != nil {
			return nil, err
		}
	}
	der, err := l.sealer.Open(k.PrivateKey, []byte(k.KID))
	if err != nil {
		return nil, fmt.Errorf("open display key %s: %w", k.KID, err)
	}
	priv, err := sign.ParsePrivateKey(der)
	if err != nil {
		return nil, fmt.Errorf("display key %s: %w", k.KID, err)
	}
	if s, err = sign.NewSigner(priv, k.CertPEM); err != nil {
		return nil, fmt.Errorf("display key %s: %w", k.KID, err)
	}
	l.holder.mu.Lock()
	l.holder.display, l.holder.notAfter = s, k.NotAfter
	l.holder.mu.Unlock()
	return s, nil
}

// newDisplayKey makes a display key, certifies it with the library CA and
// stores it sealed, with its audit entry. Two servers doing this at once
// each make one; both are published and both verify.
func (l *core) newDisplayKey(ctx context.Context) (*zhengzhao.DisplayKey, error) {
	alg := l.holderOpts().DisplayAlg
	priv, err := sign.GenerateKey(alg)
	if err != nil {
		return nil, fmt.Errorf("display key: %w", err)
	}
	kid, err := sign.KeyID(priv.Public())
	if err != nil {
		return nil, err
	}
	now := l.nowUTC()
	nb, na := now.Add(-5*time.Minute), now.Add(displayKeyLife)
	certPEM, err := l.ca.IssueDisplayCertificate(priv.Public(), nb, na)
	if err != nil {
		return nil, err
	}
	der, err := sign.MarshalPrivateKey(priv)
	if err != nil {
		return nil, err
	}
	sealed, err := l.sealer.Seal(der, []byte(kid))
	if err != nil {
		return nil, fmt.Errorf("seal display key: %w", err)
	}
	k := &zhengzhao.DisplayKey{KID: kid, Alg: alg, CertPEM: certPEM, PrivateKey: sealed, NotBefore: nb, NotAfter: na, CreatedAt: now}
	err = l.store.Update(ctx, func(tx zhengzhao.Tx) error {
		if err := tx.CreateDisplayKey(k); err != nil {
			return err
		}
		return audit(ctx, tx, zhengzhao.AuditEntry{Action: zhengzhao.ActionDisplayKeyCreate, Subject: kid,
			Details: map[string]string{"alg": alg, "not_after": na.Format(time.RFC3339)}})
	})
	if err != nil {
		return nil, fmt.Errorf("store display key: %w", err)
	}
	if err := l.trustDisplayKey(k); err != nil {
		return nil, err
	}
	return k, nil
}

// loadDisplayKeys reads the display keys and adds any new ones to the
// trust store.
func (l *core) loadDisplayKeys(ctx context.Context) ([]*zhengzhao.DisplayKey, error) {
	var keys []*zhengzhao.DisplayKey
	err := l.store.View(ctx, func(tx zhengzhao.ReadTx) (err error) {
		keys, err = tx.FindDisplayKeys()
		return err
	})
	if err != nil {
		return nil, err
	}
	for _, k := range keys {
		if err := l.trustDisplayKey(k); err != nil {
			return nil, err
		}
	}
	return keys, nil
}

func (l *core) trustDisplayKey(k *zhengzhao.DisplayKey) error {
	l.holder.mu.Lock()
	defer l.holder.mu.Unlock()
	if l.holder.known[k.KID] {
		return nil
	}
	if err := l.trust.AddDisplayCert(k.CertPEM); err != nil {
		return fmt.Errorf("display key %s: %w", k.KID, err)
	}
	if l.holder.known == nil {
		l.holder.known = map[string]bool{}
	}
	l.holder.known[k.KID] = true
	return nil
}

// ensureDisplayTrust makes sure the trust store knows the key a token names,
// reading the store again when the handle is unknown (another server may
// have made a key), at most every trustReloadGap so that forged handles
// cannot make every request read the database.
func (l *core) ensureDisplayTrust(ctx context.Context, handle [zhengzhao.DisplayKeyHandleSize]byte) error {
	l.holder.mu.Lock()
	for kid := range l.holder.known {
		if h, err := sign.KeyHandle(kid); err == nil && h == handle {
			l.holder.mu.Unlock()
			return nil
		}
	}
	due := l.now().Sub(l.holder.reloaded) >= trustReloadGap
	if due {
		l.holder.reloaded = l.now()
	}
	l.holder.mu.Unlock()
	if !due {
		return nil
	}
	_, err := l.loadDisplayKeys(ctx)
	return err
}

// FindDisplayKeys lists the display keys' public parts.
// The first call makes the first key, so that the published trust bundle
// always holds the key that will sign the next token.
func (l *Holders) FindDisplayKeys(ctx context.Context) ([]*zhengzhao.DisplayKey, error) {
	if _, err := l.displaySigner(ctx); err != nil {
		return nil, err
	}
	keys, err := l.loadDisplayKeys(ctx)
	for _, k := range keys {
		k.PrivateKey = nil
	}
	return keys, err
}

// displayValue renders a face-field value as a verifier reads it.
func displayValue(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return v
	case json.Number:
		return v.String()
	case bool:
		if v {
			return "是"
		}
		return "否"
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// chosenFields resolves the keys a holder chose to show against the
// license and its type; every unknown key is a field error.
func chosenFields(keys []string, lic *zhengzhao.License, typ *zhengzhao.LicenseType) ([]zhengzhao.DisplayField, error) {
	labels := map[string]string{}
	if typ != nil {
		for _, f := range typ.Fields {
			labels[f.Key] = f.Label
		}
	}
	var (
		out  []zhengzhao.DisplayField
		errs []zhengzhao.FieldError
		seen = map[string]bool{}
	)
	for i, k := range keys {
		if seen[k] {
			continue
		}
		seen[k] = true
		var f zhengzhao.DisplayField
		switch k {
		case zhengzhao.ShowHolderName:
			f = zhengzhao.DisplayField{Key: k, Label: "持证人", Value: lic.Holder.Name}
		case zhengzhao.ShowNumber:
			f = zhengzhao.DisplayField{Key: k, Label: "证照编号", Value: lic.Number}
		case zhengzhao.ShowValidUntil:
			until := "长期"
			if lic.ValidUntil != nil {
				until = *lic.ValidUntil
			}
			f = zhengzhao.DisplayField{Key: k, Label: "有效期至", Value: until}
		default:
			v, ok := lic.Fields[k]
			if !ok {
				errs = append(errs, zhengzhao.FieldError{Field: "fields[" + strconv.Itoa(i) + "]", Message: "the license has no field " + strconv.Quote(k)})
				continue
			}
			f = zhengzhao.DisplayField{Key: k, Label: labels[k], Value: displayValue(v)}
		}
		out = append(out, f)
	}
	return out, zhengzhao.Invalid("invalid presentation request", errs)
}

// CreatePresentation signs a display token for the current version of one
// of the holder's licenses.
func (l *Holders) CreatePresentation(ctx context.Context, r *zhengzhao.PresentationRequest) (*zhengzhao.Presentation, error) {
	a, err := requireHolder(ctx)
	if err != nil {
		return nil, err
	}
	o := l.holderOpts()
	purpose := r.Purpose
	ttl := o.TokenTTL
	var fe []zhengzhao.FieldError
	switch purpose {
	case "", zhengzhao.PurposeDisplay:
		purpose = zhengzhao.PurposeDisplay
		if r.TTLSeconds != 0 {
			ttl = time.Duration(r.TTLSeconds) * time.Second
			if ttl < minDisplayTTL || ttl > maxDisplayTTL {
				fe = append(fe, zhengzhao.FieldError{Field: "ttl_seconds", Message: fmt.Sprintf("between %d and %d", int(minDisplayTTL.Seconds()), int(maxDisplayTTL.Seconds()))})
			}
		}
	case zhengzhao.PurposePrint:
		ttl = o.PrintTTL
		if r.TTLSeconds != 0 {
			fe = append(fe, zhengzhao.FieldError{Field: "ttl_seconds", Message: "a printed copy's QR lives as long as the library's print setting"})
		}
	default:
		fe = append(fe, zhengzhao.FieldError{Field: "purpose", Message: "must be display or print"})
	}
	if r.License == "" {
		fe = append(fe, zhengzhao.FieldError{Field: "license", Message: "required"})
	}
	if len(r.Fields) > 64 {
		fe = append(fe, zhengzhao.FieldError{Field: "fields", Message: "at most 64 fields"})
	}
	if err := zhengzhao.Invalid("invalid presentation request", fe); err != nil {
		return nil, err
	}
	hl, err := l.holderLicense(ctx, a.Holder(), r.License)
	if err != nil {
		return nil, err
	}
	lic := hl.License
	now := l.now()
	if st := lic.StatusAt(now); st != zhengzhao.StatusValid || !lic.InValidityPeriod(now) {
		return nil, zhengzhao.Errorf(zhengzhao.ECONFLICT, "license %s is %s and cannot be shown", lic.ID, st)
	}
	fields, err := chosenFields(r.Fields, lic, hl.Type)
	if err != nil {
		return nil, err
	}
	s, err := l.displaySigner(ctx)
	if err != nil {
		return nil, err
	}
	var nonce [zhengzhao.DisplayNonceSize]byte
	_, _ = rand.Read(nonce[:])
	exp := now.Add(ttl).UTC().Truncate(time.Second)
	disc := &zhengzhao.Disclosure{Nonce: hex.EncodeToString(nonce[:]), License: lic.ID, Holder: a.Holder(), Fields: fields}
	discBytes := disc.Encode()
	tok := &zhengzhao.DisplayToken{Expires: exp, Nonce: nonce, LicenseID: lic.ID, Fields: stripLabels(fields)}
	// Inline what fits: the fields first go by digest, then the license.
	fits := func() bool {
		p, err := tok.Payload()
		return err == nil && zhengzhao.EncodedDisplayTokenLen(len(p)) <= o.maxTokenLen()
	}
	if !fits() {
		tok.Fields, tok.DisclosureDigest = nil, zhengzhao.DisplayDigest(discBytes)
	}
	if !fits() {
		tok.LicenseID, tok.LicenseDigest = "", zhengzhao.DisplayDigest([]byte(lic.ID))
	}
	if err := sign.SignDisplayToken(s, tok); err != nil {
		return nil, err
	}
	token, err := tok.Encode()
	if err != nil {
		return nil, err
	}
	p := &zhengzhao.Presentation{
		Nonce: disc.Nonce, License: lic.ID, LicenseBase: lic.Base(), Holder: a.Holder(), Fields: fields,
		Disclosure: discBytes, Purpose: purpose, Actor: a.ID(), CreatedAt: l.nowUTC(), ExpiresAt: exp,
		Token: token, URL: l.PresentationURL(token), LicenseInline: tok.LicenseID != "", FieldsInline: tok.DisclosureDigest == nil,
	}
	keys := make([]string, len(fields))
	for i, f := range fields {
		keys[i] = f.Key
	}
	err = l.store.Update(ctx, func(tx zhengzhao.Tx) error {
		if err := tx.CreatePresentation(p); err != nil {
			return err
		}
		d := map[string]string{"nonce": p.Nonce, "purpose": purpose, "fields": strings.Join(keys, ","), "expires_at": exp.Format(time.RFC3339)}
		if a.IsProxy() {
			d["proxy_authorization"] = a.ProxyAuthorization
		}
		return audit(ctx, tx, zhengzhao.AuditEntry{Action: zhengzhao.ActionPresentationCreate, License: lic.ID, LicenseBase: p.LicenseBase, Details: d})
	})
	if err != nil {
		return nil, fmt.Errorf("create presentation: %w", err)
	}
	return p, nil
}

func stripLabels(fs []zhengzhao.DisplayField) []zhengzhao.DisplayField {
	out := make([]zhengzhao.DisplayField, len(fs))
	for i, f := range fs {
		out[i] = zhengzhao.DisplayField{Key: f.Key, Value: f.Value}
	}
	return out
}

// VerifyPresentation checks a display token: offline (structure, signature,
// a display key certified by the library CA, expiry) and online (the
// presentation is on record and matches the token; the license's current
// status). Every check that reached the record is written to the audit
// log, so the holder's usage record shows each scan.
func (l *Holders) VerifyPresentation(ctx context.Context, token string) (*zhengzhao.PresentationResult, error) {
	now := l.now()
	res := &zhengzhao.PresentationResult{Status: zhengzhao.StatusUnknown, Fields: []zhengzhao.DisplayField{}, Reasons: []string{}, VerifiedAt: now.UTC()}
	tok, err := zhengzhao.ParseDisplayToken(token)
	if err != nil {
		res.Reasons = append(res.Reasons, zhengzhao.ErrorMessage(err))
		return res, nil
	}
	res.ExpiresAt = tok.Expires
	if err := l.ensureDisplayTrust(ctx, tok.KeyHandle); err != nil {
		return nil, err
	}
	chk := l.trust.VerifyDisplayToken(tok, now)
	res.Checks.Signature, res.Checks.KeyTrusted = chk.Signature, chk.KeyTrusted
	res.Reasons = append(res.Reasons, chk.Reasons...)
	if !chk.Signature {
		return res, nil // forged or modified: nothing about it is worth reading
	}
	res.Checks.NotExpired = !now.After(tok.Expires)
	if !res.Checks.NotExpired {
		res.Reasons = append(res.Reasons, fmt.Sprintf("the QR code expired at %s; ask the holder to show it again", tok.Expires.In(displayZone).Format("2006-01-02 15:04:05 MST")))
	}

	var (
		p   *zhengzhao.Presentation
		lic *zhengzhao.License
		typ *zhengzhao.LicenseType
	)
	err = l.store.View(ctx, func(tx zhengzhao.ReadTx) (err error) {
		p, err = tx.FindPresentationByNonce(tok.NonceHex())
		if zhengzhao.ErrorCode(err) == zhengzhao.ENOTFOUND {
			return nil
		} else if err != nil {
			return err
		}
		if lic, err = tx.FindLicenseByID(p.License); err != nil {
			return err
		}
		typ, err = tx.FindLicenseTypeByCode(lic.Type)
		return err
	})
	if err != nil {
		return nil, err
	}
	switch {
	case p == nil:
		res.Reasons = append(res.Reasons, "the library has no record of this presentation")
		return res, nil
	case tok.LicenseID != "" && tok.LicenseID != p.License,
		tok.LicenseID == "" && !bytes.Equal(tok.LicenseDigest, zhengzhao.DisplayDigest([]byte(p.License))),
		tok.DisclosureDigest != nil && !bytes.Equal(tok.DisclosureDigest, zhengzhao.DisplayDigest(p.Disclosure)),
		tok.DisclosureDigest == nil && !sameFields(tok.Fields, p.Fields),
		!tok.Expires.Equal(p.ExpiresAt):
		res.Reasons = append(res.Reasons, "the token does not match the library's record of the presentation")
	default:
		res.Checks.OnRecord = true
	}
	res.Purpose = p.Purpose
	if res.Checks.OnRecord && res.Checks.NotExpired && res.Checks.KeyTrusted {
		res.License, res.TypeName, res.Issuer = lic.ID, lic.TypeName, &lic.Issuer
		res.ValidFrom, res.ValidTo = lic.ValidFrom, lic.ValidUntil
		res.Fields = relabel(p.Fields, typ)
		res.Status = lic.StatusAt(now)
		switch {
		case res.Status == zhengzhao.StatusValid && lic.InValidityPeriod(now):
			res.Checks.LicenseValid = true
		case res.Status == zhengzhao.StatusRevoked:
			res.RevokedAt, res.RevocationReason = lic.RevokedAt, lic.RevocationReason
			r := "the license has been revoked"
			if lic.RevocationReason != "" {
				r += ": " + lic.RevocationReason
			}
			res.Reasons = append(res.Reasons, r)
		case res.Status == zhengzhao.StatusSuperseded:
			res.Reasons = append(res.Reasons, "the license has been replaced by a newer version "+lic.SupersededBy)
		case res.Status == zhengzhao.StatusExpired:
			res.Reasons = append(res.Reasons, "the license has expired")
		default:
			res.Reasons = append(res.Reasons, "the license is not yet in force")
		}
	}
	c := res.Checks
	res.Valid = c.Signature && c.KeyTrusted && c.NotExpired && c.OnRecord && c.LicenseValid
	outcome := "valid"
	if !res.Valid {
		outcome = "refused: " + strings.Join(res.Reasons, "; ")
	}
	err = l.store.Update(ctx, func(tx zhengzhao.Tx) error {
		return audit(ctx, tx, zhengzhao.AuditEntry{Action: zhengzhao.ActionPresentationVerify, License: p.License, LicenseBase: p.LicenseBase,
			Details: map[string]string{"nonce": p.Nonce, "purpose": p.Purpose, "outcome": outcome}})
	})
	if err != nil {
		return nil, fmt.Errorf("verify presentation: %w", err)
	}
	return res, nil
}

func sameFields(a, b []zhengzhao.DisplayField) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Key != b[i].Key || a[i].Value != b[i].Value {
			return false
		}
	}
	return true
}

// relabel sets the labels of the license type on the fields (the labels
// are not part of the token).
func relabel(fs []zhengzhao.DisplayField, typ *zhengzhao.LicenseType) []zhengzhao.DisplayField {
	out := make([]zhengzhao.DisplayField, len(fs))
	copy(out, fs)
	if typ == nil {
		return out
	}
	for i, f := range out {
		for _, spec := range typ.Fields {
			if spec.Key == f.Key {
				out[i].Label = spec.Label
			}
		}
	}
	return out
}

// displayZone is the zone in which expiry times are shown: Beijing time.
var displayZone = time.FixedZone("CST", 8*3600)
