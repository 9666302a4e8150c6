// Measures art. 8 (证照归集与更新): keep the library consistent with the issuer's system —
// the reconciliation of an issuer's export against the library.

package library

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/zhengzhao-project/zhengzhao"
	"github.com/zhengzhao-project/zhengzhao/importer"
	"github.com/zhengzhao-project/zhengzhao/sign"
)

// ContentDigest returns the digest reconciliation compares: the SHA-256,
// hex, of the RFC 8785 canonical JSON of the content an issuer's system
// knows — {"number", "holder": {"id_type", "id", "name"}, "issued_on",
// "valid_from", "valid_until", "fields"} — so that an issuer computes it
// from its own records without the library's signature or timestamps.
func ContentDigest(l *zhengzhao.License) (string, error) {
	content := map[string]any{
		"number":      l.Number,
		"holder":      map[string]string{"id_type": l.Holder.IDType, "id": l.Holder.ID, "name": l.Holder.Name},
		"issued_on":   l.IssuedOn,
		"valid_from":  l.ValidFrom,
		"valid_until": l.ValidUntil,
		"fields":      fieldsOrEmpty(l.Fields),
	}
	b, err := json.Marshal(content)
	if err != nil {
		return "", err
	}
	canon, err := sign.Canonicalize(b, nil)
	if err != nil {
		return "", err
	}
	h := sha256.Sum256(canon)
	return hex.EncodeToString(h[:]), nil
}

// reconcileColumns are the columns of an issuer's export.
var reconcileColumns = []string{"id", "version", "status", "digest"}

// reconcilePage is how many library licenses one read returns.
const reconcilePage = 1000

// Reconcile compares an issuer's export with the library in one pass over
// both, in base order (a merge join): memory stays flat however many
// records there are. See zhengzhao.AggregationService.
func (l *Aggregation) Reconcile(ctx context.Context, spec *zhengzhao.ReconcileSpec, export io.Reader, fn func(*zhengzhao.ReconcileDiff) error) (*zhengzhao.ReconcileSummary, error) {
	issuer, err := actingIssuer(ctx, spec.Issuer)
	if err != nil {
		return nil, err
	}
	rd, err := importer.NewReader(export, importer.Options{Format: spec.Format, Encoding: spec.Encoding},
		func(c string) bool { return slices.Contains(reconcileColumns, c) })
	if err != nil {
		return nil, err
	}
	sum := &zhengzhao.ReconcileSummary{Issuer: issuer, At: l.nowUTC()}
	now := l.now()
	err = l.store.View(ctx, func(tx zhengzhao.ReadTx) error {
		if _, err := tx.FindUnitByCode(issuer); err != nil {
			return err
		}
		lib := &libraryCursor{tx: tx, issuer: issuer}
		prevBase := ""
		emit := func(d *zhengzhao.ReconcileDiff) error { return fn(d) }
		onlyLibrary := func(lic *zhengzhao.License) error {
			sum.MissingInIssuer++
			return emit(&zhengzhao.ReconcileDiff{Base: lic.Base(), Kind: zhengzhao.DiffMissingInIssuer,
				Library: lic.ID + " " + normStatus(lic.StatusAt(now))})
		}
		for {
			row, err := rd.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return fmt.Errorf("read export: %w", err)
			}
			sum.ExportRecords++
			rec, problem := exportRecord(row)
			if problem != "" {
				sum.Invalid++
				if err := emit(&zhengzhao.ReconcileDiff{Row: row.Num, Kind: zhengzhao.DiffInvalid, Issuer: problem}); err != nil {
					return err
				}
				continue
			}
			if rec.base <= prevBase {
				return zhengzhao.Invalid("the export is not sorted by id", []zhengzhao.FieldError{{Field: "id",
					Message: fmt.Sprintf("row %d (%s) is not after the row before it; sort the export by id in byte order (LC_ALL=C sort) with one record per license", row.Num, rec.id)}})
			}
			prevBase = rec.base
			// Licenses of the library before this record are not in the export.
			for {
				lic, err := lib.peek()
				if err != nil {
					return err
				}
				if lic == nil || lic.Base() >= rec.base {
					break
				}
				lib.next()
				sum.LibraryRecords++
				if err := onlyLibrary(lic); err != nil {
					return err
				}
			}
			lic, err := lib.peek()
			if err != nil {
				return err
			}
			if lic == nil || lic.Base() != rec.base {
				sum.MissingInLibrary++
				if err := emit(&zhengzhao.ReconcileDiff{Row: row.Num, Base: rec.base, Kind: zhengzhao.DiffMissingInLibrary, Issuer: rec.id}); err != nil {
					return err
				}
				continue
			}
			lib.next()
			sum.LibraryRecords++
			diffs, err := compareRecord(rec, lic)
			if err != nil {
				return err
			}
			if len(diffs) == 0 {
				sum.Matched++
			} else {
				sum.Differing++
			}
			for _, d := range diffs {
				d.Row, d.Base = row.Num, rec.base
				if err := emit(d); err != nil {
					return err
				}
			}
		}
		for {
			lic, err := lib.peek()
			if err != nil || lic == nil {
				return err
			}
			lib.next()
			sum.LibraryRecords++
			if err := onlyLibrary(lic); err != nil {
				return err
			}
		}
	})
	if err != nil {
		return nil, fmt.Errorf("reconcile %s: %w", issuer, err)
	}
	return sum, nil
}

// libraryCursor walks the issuer's current licenses in base order, a page
// at a time.
type libraryCursor struct {
	tx     zhengzhao.ReadTx
	issuer string
	page   []*zhengzhao.License
	done   bool
	after  string
}

func (c *libraryCursor) peek() (*zhengzhao.License, error) {
	if len(c.page) == 0 && !c.done {
		ls, err := c.tx.FindLicenseStates(c.issuer, c.after, reconcilePage)
		if err != nil {
			return nil, err
		}
		c.page, c.done = ls, len(ls) < reconcilePage
		if len(ls) > 0 {
			c.after = ls[len(ls)-1].Base()
		}
	}
	if len(c.page) == 0 {
		return nil, nil
	}
	return c.page[0], nil
}

func (c *libraryCursor) next() { c.page = c.page[1:] }

// exportEntry is one record of an issuer's export.
type exportEntry struct {
	id, base, version, status, digest string
}

func exportRecord(row *importer.Row) (*exportEntry, string) {
	if len(row.Problems) > 0 {
		p := row.Problems[0]
		return nil, strings.TrimSpace(p.Field + " " + p.Message)
	}
	text := func(k string) string {
		switch v := row.Values[k].(type) {
		case string:
			return strings.TrimSpace(v)
		case json.Number:
			return v.String()
		}
		return ""
	}
	e := &exportEntry{id: text("id"), version: text("version"), status: text("status"), digest: strings.ToLower(text("digest"))}
	if e.id == "" {
		return nil, "id required"
	}
	id, err := zhengzhao.ParseLicenseID(e.id)
	if id.TypeCode == "" {
		return nil, "id " + zhengzhao.ErrorMessage(err)
	}
	e.base = id.Base()
	if e.version == "" {
		e.version = id.VersionString()
	} else if len(e.version) < 3 {
		e.version = strings.Repeat("0", 3-len(e.version)) + e.version
	}
	if e.status != "" {
		s, ok := exportStatuses[e.status]
		if !ok {
			return nil, "status " + e.status + " unknown (valid, revoked, expired, 有效, 注销, 吊销, 撤销, 过期)"
		}
		e.status = s
	}
	return e, ""
}

// exportStatuses maps the statuses an issuer's system may report to the
// library's. Expiry follows from the dates, which the digest compares, so
// expired counts as valid.
var exportStatuses = map[string]string{
	"valid": zhengzhao.StatusValid, "expired": zhengzhao.StatusValid, "revoked": zhengzhao.StatusRevoked,
	"有效": zhengzhao.StatusValid, "过期": zhengzhao.StatusValid, "注销": zhengzhao.StatusRevoked,
	"吊销": zhengzhao.StatusRevoked, "撤销": zhengzhao.StatusRevoked,
}

func normStatus(s string) string {
	if s == zhengzhao.StatusExpired {
		return zhengzhao.StatusValid
	}
	return s
}

// compareRecord returns the differences between an export record and the
// library's current version of the same license.
func compareRecord(e *exportEntry, lic *zhengzhao.License) ([]*zhengzhao.ReconcileDiff, error) {
	var ds []*zhengzhao.ReconcileDiff
	if e.version != lic.Version {
		ds = append(ds, &zhengzhao.ReconcileDiff{Kind: zhengzhao.DiffVersion, Library: lic.Version, Issuer: e.version})
	}
	if e.status != "" && e.status != normStatus(lic.Status) {
		ds = append(ds, &zhengzhao.ReconcileDiff{Kind: zhengzhao.DiffStatus, Library: normStatus(lic.Status), Issuer: e.status})
	}
	if e.digest != "" && e.version == lic.Version {
		d, err := ContentDigest(lic)
		if err != nil {
			return nil, err
		}
		if d != e.digest {
			ds = append(ds, &zhengzhao.ReconcileDiff{Kind: zhengzhao.DiffContent, Library: d, Issuer: e.digest})
		}
	}
	return ds, nil
}
