package demo

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/zhengzhao-project/zhengzhao"
)

// The demo's history looks like a library in its first month. The back
// catalogue (licenses issued on paper years ago) comes in by bulk import,
// as an issuer's history does (Measures art. 9): it is aggregation of
// history, not issuing, so it does not count in the dashboard's issued
// figures or its on-time rate. Then each issuing unit issues this month's
// new licenses through the API; most on the day of issue or the next
// working day (on time, art. 8), some days late, at a different share for
// each unit, so that the dashboard shows rates a supervisor would see.

// lateShare is, per issuing unit, the share of this month's licenses that
// it aggregates late, in percent.
var lateShare = map[string]int{
	shMarket:    6,
	shHousing:   25,
	shEmergency: 0,
	shTraffic:   12,
	pdCivil:     40,
}

// monthLicenses is how many new licenses each demo type gets this month.
const monthLicenses = 12

// importHistory imports the back catalogue: the requests of jobs, by type,
// through the bulk import of each type's issuer. It returns the licenses in
// the order of jobs.
func importHistory(ctx context.Context, svc Services, units map[string]*zhengzhao.Unit, reqs []*zhengzhao.IssueRequest) ([]*zhengzhao.License, error) {
	type key struct{ typ, number, holder string }
	at := make(map[key]int, len(reqs))
	out := make([]*zhengzhao.License, len(reqs))
	for _, dt := range Types {
		var b bytes.Buffer
		n := 0
		for i, req := range reqs {
			if req.Type != dt.Code {
				continue
			}
			at[key{req.Type, req.Number, req.Holder.ID}] = i
			row := map[string]any{"number": req.Number, "holder_id": req.Holder.ID, "holder_id_type": req.Holder.IDType,
				"holder_name": req.Holder.Name, "issued_on": req.IssuedOn, "valid_from": req.ValidFrom}
			if req.ValidUntil != nil {
				row["valid_until"] = *req.ValidUntil
			}
			for k, v := range req.Fields {
				row[k] = v
			}
			line, err := json.Marshal(row)
			if err != nil {
				return nil, err
			}
			b.Write(append(line, '\n'))
			n++
		}
		if n == 0 {
			continue
		}
		uctx := zhengzhao.NewContextWithActor(ctx, zhengzhao.Actor{Kind: zhengzhao.ActorUnit, Unit: units[dt.Issuer]})
		job, err := svc.Aggregation.Import(uctx, &zhengzhao.ImportSpec{Type: dt.Code, Format: zhengzhao.FormatJSONL,
			Provenance: zhengzhao.ProvenanceBornDigital, Source: "demo back catalogue"}, &b)
		if err != nil {
			return nil, fmt.Errorf("import the %s back catalogue: %w", dt.Name, err)
		}
		if job.Imported != int64(n) {
			return nil, fmt.Errorf("import the %s back catalogue: %d of %d rows imported (%d rejected, %d duplicates)",
				dt.Name, job.Imported, n, job.Rejected, job.Duplicates)
		}
		typ, issuer := dt.Code, dt.Issuer
		f := zhengzhao.LicenseFilter{Type: &typ, Issuer: &issuer, Page: zhengzhao.Page{Limit: 1000}}
		for {
			lics, _, next, err := svc.Licenses.FindLicenses(uctx, f)
			if err != nil {
				return nil, fmt.Errorf("read the %s back catalogue: %w", dt.Name, err)
			}
			for _, l := range lics {
				if i, ok := at[key{l.Type, l.Number, l.Holder.ID}]; ok {
					out[i] = l
				}
			}
			if next == "" {
				break
			}
			f.Cursor = next
		}
	}
	for i, l := range out {
		if l == nil {
			return nil, fmt.Errorf("back catalogue: license %d (%s) not found after import", i, reqs[i].Number)
		}
	}
	return out, nil
}

// issueMonth issues this month's new licenses of every demo type, with
// its own random source so that the rest of the demo stays as it was.
// Late ones carry an issue date 10 to 20 days back: at least two working
// days late in any season.
func issueMonth(ctx context.Context, svc Services, units map[string]*zhengzhao.Unit, seed uint64, now time.Time) ([]*zhengzhao.License, error) {
	rng := rand.New(rand.NewPCG(seed^0x6d6f6e7468, seed))
	today := now.In(zhengzhao.ChinaTime)
	var out []*zhengzhao.License
	for _, dt := range Types {
		uctx := zhengzhao.NewContextWithActor(ctx, zhengzhao.Actor{Kind: zhengzhao.ActorUnit, Unit: units[dt.Issuer]})
		late := monthLicenses * lateShare[dt.Issuer] / 100
		for i := range monthLicenses {
			req := dt.request(rng)
			day := today.AddDate(0, 0, -rng.IntN(2)) // the day of issue or the day before
			if i < late {
				day = today.AddDate(0, 0, -10-rng.IntN(11))
			}
			issued := day.Format(zhengzhao.DateLayout)
			req.IssuedOn, req.ValidFrom = issued, issued
			if dt.Years > 0 {
				until := day.AddDate(dt.Years, 0, -1).Format(zhengzhao.DateLayout)
				req.ValidUntil = &until
			}
			lic, err := svc.Licenses.IssueLicense(uctx, req, "")
			if err != nil {
				return nil, fmt.Errorf("issue this month's %s: %w", dt.Name, err)
			}
			out = append(out, lic)
		}
	}
	return out, nil
}
