// Measures art. 29 (监督考核): supervision figures per unit and the annual report,
// counted from what the audit log records.

package library

import (
	"context"
	"fmt"
	"time"

	"github.com/zhengzhao-project/zhengzhao"
)

// Supervision statistics are counters per unit, license type, metric and
// day (and month), kept by the stores (AddStats) and updated in the same
// transaction as the change they count. Dashboards and reports add up a
// few thousand counters instead of scanning millions of licenses or audit
// entries, so they answer in milliseconds at any size.

// countAudited updates the counters for a core audit entry: issues (with
// the aggregation lag), updates, revocations, and uses: reads of a license
// document, fetches for a case and fetches under a holder's grant by units.
// The supervision area's own actions update their counters where they
// happen, with facts the entry does not carry.
func countAudited(ctx context.Context, tx statsWriter, e *zhengzhao.AuditEntry) error {
	var metric string
	switch e.Action {
	case zhengzhao.ActionLicenseIssue:
		metric = zhengzhao.MetricIssued
	case zhengzhao.ActionLicenseUpdate:
		metric = zhengzhao.MetricUpdated
	case zhengzhao.ActionLicenseRevoke:
		metric = zhengzhao.MetricRevoked
	case zhengzhao.ActionLicenseRead, zhengzhao.ActionUseFetch, zhengzhao.ActionGrantUse:
		metric = zhengzhao.MetricUsed
	default:
		return nil
	}
	id, err := zhengzhao.ParseLicenseID(e.License)
	if err != nil && id.TypeCode == "" {
		return nil // not a license entry the counters know
	}
	day := chinaDate(e.Time)
	d := zhengzhao.StatDelta{Day: day, Unit: id.IssuerCode, Type: id.TypeCode, Metric: metric, N: 1}
	var deltas []zhengzhao.StatDelta
	switch metric {
	case zhengzhao.MetricIssued:
		issuedOn := e.Details["issued_on"]
		if issuedOn == "" { // entries written before issue entries carried the date
			lic, err := tx.FindLicenseByID(e.License)
			if err != nil {
				return err
			}
			issuedOn = lic.IssuedOn
		}
		if issued, err := zhengzhao.ParseDate(issuedOn); err == nil {
			// Working days from the paper issue date to the day the
			// library signed it: 0 or 1 is on time (art. 8: issue both
			// together and aggregate at once).
			lag := int64(max(issueLag(issued, e.Time), 0))
			d.Sum = lag
			if lag <= 1 {
				deltas = append(deltas, zhengzhao.StatDelta{Day: day, Unit: d.Unit, Type: d.Type, Metric: zhengzhao.MetricIssuedOnTime, N: 1})
			}
		}
	case zhengzhao.MetricUsed:
		// A read by a unit, a fetch for a case, a fetch under a holder's
		// grant: each is a use by the acting unit.
		a := zhengzhao.ActorFromContext(ctx)
		if a.Kind != zhengzhao.ActorUnit || a.Unit == nil {
			return nil // the administrator's reads are supervision, not use
		}
		d.Unit = a.Unit.Code
	}
	return tx.AddStats(append(deltas, d))
}

// issueLags memoizes issueLag: this runs inside the serialised write of
// every issue, and counting working days walks the calendar day by day,
// while issue dates repeat and "today" changes once a day.
var issueLags = newCache(4<<20, func(k [2]string, _ int) int { return mapSlot + 40 + len(k[0]) + len(k[1]) })

// issueLag returns the working days from a paper issue date (noon, Beijing)
// to the instant the library signed.
func issueLag(issued time.Time, signed time.Time) int {
	key := [2]string{issued.Format(zhengzhao.DateLayout), signed.In(chinaTime).Format(zhengzhao.DateLayout)}
	if n, ok := issueLags.get(key); ok {
		return n
	}
	n := workdaysSince(time.Date(issued.Year(), issued.Month(), issued.Day(), 12, 0, 0, 0, chinaTime), signed)
	issueLags.put(key, n)
	return n
}

// countRefusal counts a license read refused to a unit. It runs in a
// transaction of its own after the refused one rolled back; a failure is
// only logged, as the caller's answer (the refusal) stands.
func (l *core) countRefusal(ctx context.Context, a zhengzhao.Actor, licenseID string, err error) {
	if zhengzhao.ErrorCode(err) != zhengzhao.EFORBIDDEN || a.Kind != zhengzhao.ActorUnit || a.Unit == nil {
		return
	}
	id, perr := zhengzhao.ParseLicenseID(licenseID)
	if perr != nil && id.TypeCode == "" {
		return
	}
	uerr := l.store.Update(context.WithoutCancel(ctx), func(tx zhengzhao.Tx) error {
		return tx.AddStats([]zhengzhao.StatDelta{{Day: chinaDate(tx.Now()), Unit: a.Unit.Code, Type: id.TypeCode,
			Metric: zhengzhao.MetricRefused, N: 1}})
	})
	if uerr != nil {
		l.log.WarnContext(ctx, "count refused read", "unit", a.Unit.Code, "license", licenseID, "err", uerr)
	}
}

// maxPeriodDays bounds a supervision period.
const maxPeriodDays = 5*366 + 1

// statRanges splits the days [from, to] into counter ranges: whole years
// read the yearly counters, whole months the monthly ones, and only the
// days at the edges the daily ones. A period then reads at most about 60
// daily, 22 monthly and 5 yearly counters per unit, type and metric.
func statRanges(from, to time.Time) []zhengzhao.StatRange {
	var rs []zhengzhao.StatRange
	add := func(g, period string) {
		if n := len(rs); n > 0 && rs[n-1].Granularity == g {
			rs[n-1].To = period // consecutive pieces of one granularity
			return
		}
		rs = append(rs, zhengzhao.StatRange{Granularity: g, From: period, To: period})
	}
	for cur := from; !cur.After(to); {
		yearEnd := time.Date(cur.Year(), 12, 31, 0, 0, 0, 0, time.UTC)
		monthEnd := time.Date(cur.Year(), cur.Month()+1, 0, 0, 0, 0, 0, time.UTC)
		switch {
		case cur.YearDay() == 1 && !yearEnd.After(to):
			add(zhengzhao.StatYearly, cur.Format("2006"))
			cur = yearEnd.AddDate(0, 0, 1)
		case cur.Day() == 1 && !monthEnd.After(to):
			add(zhengzhao.StatMonthly, cur.Format("2006-01"))
			cur = monthEnd.AddDate(0, 0, 1)
		default:
			add(zhengzhao.StatDaily, cur.Format(zhengzhao.DateLayout))
			cur = cur.AddDate(0, 0, 1)
		}
	}
	return rs
}

// period parses and checks a supervision period; empty bounds default to
// the current year up to today (China time).
func (l *core) period(fromS, toS string) (from, to time.Time, err error) {
	today, _ := zhengzhao.ParseDate(chinaDate(l.now()))
	var fe []zhengzhao.FieldError
	to = today
	if toS != "" {
		if to, err = zhengzhao.ParseDate(toS); err != nil {
			fe = append(fe, zhengzhao.FieldError{Field: "to", Message: "must be a date YYYY-MM-DD"})
		}
	}
	from = time.Date(to.Year(), 1, 1, 0, 0, 0, 0, time.UTC)
	if fromS != "" {
		if from, err = zhengzhao.ParseDate(fromS); err != nil {
			fe = append(fe, zhengzhao.FieldError{Field: "from", Message: "must be a date YYYY-MM-DD"})
		}
	}
	if len(fe) == 0 {
		switch {
		case to.Before(from):
			fe = append(fe, zhengzhao.FieldError{Field: "to", Message: "must not be before from"})
		case to.Sub(from) > maxPeriodDays*24*time.Hour:
			fe = append(fe, zhengzhao.FieldError{Field: "from", Message: "a period is at most 5 years"})
		}
	}
	return from, to, zhengzhao.Invalid("invalid period", fe)
}

// Supervise returns the supervision figures of a period per unit.
func (l *Supervision) Supervise(ctx context.Context, f zhengzhao.SupervisionFilter) (*zhengzhao.SupervisionReport, error) {
	a := zhengzhao.ActorFromContext(ctx)
	if !isAdmin(a) {
		if f.Unit == nil || !a.IsUnit(*f.Unit) {
			if err := requireAdmin(ctx); err != nil {
				return nil, zhengzhao.Errorf(zhengzhao.ErrorCode(err), "%s; a unit sees only its own figures (unit=<its code>)", zhengzhao.ErrorMessage(err))
			}
		}
	}
	from, to, err := l.period(f.From, f.To)
	if err != nil {
		return nil, err
	}
	rep := &zhengzhao.SupervisionReport{From: from.Format(zhengzhao.DateLayout), To: to.Format(zhengzhao.DateLayout), GeneratedAt: l.nowUTC()}
	err = l.store.View(ctx, func(tx zhengzhao.ReadTx) error {
		var err error
		rep.Units, rep.Totals, err = figures(tx, f.Unit, from, to, chinaDate(l.now()))
		if err != nil {
			return err
		}
		rep.Series, err = series(tx, f.Unit, from, to)
		return err
	})
	if err != nil {
		return nil, err
	}
	return rep, nil
}

// figures computes the per-unit figures of [from, to] and their totals.
func figures(tx zhengzhao.ReadTx, unit *string, from, to time.Time, today string) ([]zhengzhao.UnitFigures, zhengzhao.UnitFigures, error) {
	var total zhengzhao.UnitFigures
	units, err := figureUnits(tx, unit)
	if err != nil {
		return nil, total, err
	}
	byUnit := make(map[string]*zhengzhao.UnitFigures, len(units))
	out := make([]zhengzhao.UnitFigures, len(units))
	for i, u := range units {
		out[i] = zhengzhao.UnitFigures{Unit: zhengzhao.Party{Code: u.Code, Name: u.Name}, Roles: u.Roles}
		byUnit[u.Code] = &out[i]
	}
	lag, answerDays, err := addCounters(tx, unit, from, to, byUnit)
	if err != nil {
		return nil, total, err
	}
	counts, err := tx.CountOpenObjections(today)
	if err != nil {
		return nil, total, err
	}
	for _, c := range counts {
		if fg := byUnit[c.Issuer]; fg != nil {
			fg.ObjectionsOpen, fg.ObjectionsOverdue = int64(c.Open), int64(c.Overdue)
		}
	}
	if err := addCatalog(tx, unit, byUnit); err != nil {
		return nil, total, err
	}
	contacts, err := tx.CountUnitContacts()
	if err != nil {
		return nil, total, err
	}
	for code, n := range contacts {
		if fg := byUnit[code]; fg != nil {
			fg.Contacts = n
		}
	}
	return out, totals(out, lag, answerDays), nil
}

// figureUnits returns the unit, or every unit when unit is nil.
func figureUnits(tx zhengzhao.ReadTx, unit *string) ([]*zhengzhao.Unit, error) {
	if unit != nil {
		u, err := tx.FindUnitByCode(*unit)
		if err != nil {
			return nil, err
		}
		return []*zhengzhao.Unit{u}, nil
	}
	var units []*zhengzhao.Unit
	for cursor := ""; ; {
		us, _, next, err := tx.FindUnits(zhengzhao.UnitFilter{Page: zhengzhao.Page{Limit: zhengzhao.MaxPageLimit, Cursor: cursor}})
		if err != nil {
			return nil, err
		}
		units = append(units, us...)
		if cursor = next; cursor == "" {
			return units, nil
		}
	}
}

// addCounters adds the counters of [from, to] to the units' figures and
// returns the sums of issue lags and of answer days by unit.
func addCounters(tx zhengzhao.ReadTx, unit *string, from, to time.Time, byUnit map[string]*zhengzhao.UnitFigures) (lag, answerDays map[string]int64, err error) {
	sums, err := tx.SumStats(zhengzhao.StatFilter{Unit: unit, Ranges: statRanges(from, to), GroupBy: []string{zhengzhao.StatByUnit}})
	if err != nil {
		return nil, nil, err
	}
	lag, answerDays = map[string]int64{}, map[string]int64{}
	for _, s := range sums {
		fg := byUnit[s.Unit]
		if fg == nil {
			continue
		}
		switch s.Metric {
		case zhengzhao.MetricIssued:
			fg.Issued, lag[s.Unit] = s.N, s.Sum
		case zhengzhao.MetricIssuedOnTime:
			fg.IssuedOnTime = s.N
		case zhengzhao.MetricUpdated:
			fg.Updated = s.N
		case zhengzhao.MetricRevoked:
			fg.Revoked = s.N
		case zhengzhao.MetricUsed:
			fg.Used = s.N
		case zhengzhao.MetricRefused:
			fg.Refused = s.N
		case zhengzhao.MetricObjectionFiled:
			fg.ObjectionsFiled = s.N
		case zhengzhao.MetricObjectionAnswered:
			fg.ObjectionsAnswered, answerDays[s.Unit] = s.N, s.Sum
		case zhengzhao.MetricObjectionLate:
			fg.ObjectionsLate = s.N
		case zhengzhao.MetricObjectionCorrected:
			fg.ObjectionsCorrected = s.N
		case zhengzhao.MetricCheckReviewed:
			fg.ChecksReviewed = s.N
		case zhengzhao.MetricCheckFailed:
			fg.ChecksFailed = s.N
		}
	}
	return lag, answerDays, nil
}

// addCatalog adds catalog completeness: the types that name the unit as
// an issuer (or that it defined), and which of them have licenses at all.
func addCatalog(tx zhengzhao.ReadTx, unit *string, byUnit map[string]*zhengzhao.UnitFigures) error {
	ever, err := tx.SumStats(zhengzhao.StatFilter{Unit: unit, Metrics: []string{zhengzhao.MetricIssued},
		Ranges:  []zhengzhao.StatRange{{Granularity: zhengzhao.StatYearly, From: "0000", To: "9999"}},
		GroupBy: []string{zhengzhao.StatByUnit, zhengzhao.StatByType}})
	if err != nil {
		return err
	}
	hasLicenses := map[[2]string]bool{}
	for _, s := range ever {
		hasLicenses[[2]string{s.Unit, s.Type}] = s.N > 0
	}
	for cursor := ""; ; {
		ts, _, next, err := tx.FindLicenseTypes(zhengzhao.LicenseTypeFilter{Page: zhengzhao.Page{Limit: zhengzhao.MaxPageLimit, Cursor: cursor}})
		if err != nil {
			return err
		}
		for _, t := range ts {
			seen := map[string]bool{}
			for _, code := range append(append([]string(nil), t.Issuers...), t.Owner) {
				fg := byUnit[code]
				if fg == nil || seen[code] {
					continue
				}
				seen[code] = true
				fg.CatalogTypes++
				if len(t.Fields) > 0 {
					fg.TypesWithTemplate++
				}
				if hasLicenses[[2]string{code, t.Code}] {
					fg.TypesWithLicenses++
				}
			}
		}
		if cursor = next; cursor == "" {
			return nil
		}
	}
}

// totals derives every unit's rates and returns the sum of the figures.
func totals(out []zhengzhao.UnitFigures, lag, answerDays map[string]int64) zhengzhao.UnitFigures {
	var total zhengzhao.UnitFigures
	var totalLag, totalAnswer int64
	for i := range out {
		fg := &out[i]
		rates(fg, lag[fg.Unit.Code], answerDays[fg.Unit.Code])
		totalLag += lag[fg.Unit.Code]
		totalAnswer += answerDays[fg.Unit.Code]
		total.Issued += fg.Issued
		total.IssuedOnTime += fg.IssuedOnTime
		total.Updated += fg.Updated
		total.Revoked += fg.Revoked
		total.Used += fg.Used
		total.Refused += fg.Refused
		total.ObjectionsFiled += fg.ObjectionsFiled
		total.ObjectionsAnswered += fg.ObjectionsAnswered
		total.ObjectionsLate += fg.ObjectionsLate
		total.ObjectionsCorrected += fg.ObjectionsCorrected
		total.ObjectionsOpen += fg.ObjectionsOpen
		total.ObjectionsOverdue += fg.ObjectionsOverdue
		total.ChecksReviewed += fg.ChecksReviewed
		total.ChecksFailed += fg.ChecksFailed
		total.CatalogTypes += fg.CatalogTypes
		total.TypesWithTemplate += fg.TypesWithTemplate
		total.TypesWithLicenses += fg.TypesWithLicenses
		total.Contacts += fg.Contacts
	}
	total.Unit = zhengzhao.Party{Name: "合计 Total"}
	total.Roles = []zhengzhao.Role{}
	rates(&total, totalLag, totalAnswer)
	return total
}

// rates derives the averages and shares of fg.
func rates(fg *zhengzhao.UnitFigures, lag, answerDays int64) {
	ratio := func(a, b int64) float64 {
		if b == 0 {
			return 0
		}
		return float64(int64(float64(a)/float64(b)*1000+0.5)) / 1000
	}
	fg.OnTimeRate = ratio(fg.IssuedOnTime, fg.Issued)
	fg.AvgLagWorkdays = ratio(lag, fg.Issued)
	fg.AvgAnswerWorkdays = ratio(answerDays, fg.ObjectionsAnswered)
	fg.CatalogCompleteness = ratio(int64(fg.TypesWithLicenses), int64(fg.CatalogTypes))
	if fg.Roles == nil {
		fg.Roles = []zhengzhao.Role{}
	}
}

// series returns the chart points of [from, to]: days for a period of at
// most 62 days, years for one of more than 3 years, else months (whole
// months and years, also at the edges).
func series(tx zhengzhao.ReadTx, unit *string, from, to time.Time) ([]zhengzhao.SeriesPoint, error) {
	var (
		r    zhengzhao.StatRange
		keys []string
	)
	switch {
	case to.Sub(from) <= 61*24*time.Hour:
		r = zhengzhao.StatRange{Granularity: zhengzhao.StatDaily, From: from.Format(zhengzhao.DateLayout), To: to.Format(zhengzhao.DateLayout)}
		for d := from; !d.After(to); d = d.AddDate(0, 0, 1) {
			keys = append(keys, d.Format(zhengzhao.DateLayout))
		}
	case to.Year()-from.Year() >= 3 && to.Sub(from) > 3*366*24*time.Hour:
		r = zhengzhao.StatRange{Granularity: zhengzhao.StatYearly, From: from.Format("2006"), To: to.Format("2006")}
		for y := from.Year(); y <= to.Year(); y++ {
			keys = append(keys, fmt.Sprint(y))
		}
	default:
		r = zhengzhao.StatRange{Granularity: zhengzhao.StatMonthly, From: from.Format("2006-01"), To: to.Format("2006-01")}
		for d := time.Date(from.Year(), from.Month(), 1, 0, 0, 0, 0, time.UTC); !d.After(to); d = d.AddDate(0, 1, 0) {
			keys = append(keys, d.Format("2006-01"))
		}
	}
	sums, err := tx.SumStats(zhengzhao.StatFilter{Unit: unit, Ranges: []zhengzhao.StatRange{r}, GroupBy: []string{zhengzhao.StatByPeriod},
		Metrics: []string{zhengzhao.MetricIssued, zhengzhao.MetricUsed, zhengzhao.MetricObjectionFiled}})
	if err != nil {
		return nil, err
	}
	points := make([]zhengzhao.SeriesPoint, len(keys))
	at := make(map[string]*zhengzhao.SeriesPoint, len(keys))
	for i, k := range keys {
		points[i].Period = k
		at[k] = &points[i]
	}
	for _, s := range sums {
		p := at[s.Period]
		if p == nil {
			continue
		}
		switch s.Metric {
		case zhengzhao.MetricIssued:
			p.Issued = s.N
		case zhengzhao.MetricUsed:
			p.Used = s.N
		case zhengzhao.MetricObjectionFiled:
			p.Objections = s.N
		}
	}
	return points, nil
}

// AnnualReport returns the annual assessment of one unit.
func (l *Supervision) AnnualReport(ctx context.Context, unit string, year int) (*zhengzhao.AnnualReport, error) {
	a := zhengzhao.ActorFromContext(ctx)
	if !isAdmin(a) && !a.IsUnit(unit) {
		if err := requireAdmin(ctx); err != nil {
			return nil, err
		}
	}
	if year < 2000 || year > 2100 {
		return nil, zhengzhao.Invalid("invalid report", []zhengzhao.FieldError{{Field: "year", Message: "must be a year from 2000 to 2100"}})
	}
	from, to := time.Date(year, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(year, 12, 31, 0, 0, 0, 0, time.UTC)
	rep := &zhengzhao.AnnualReport{Year: year, GeneratedAt: l.nowUTC(), Checks: []*zhengzhao.RandomCheck{}}
	err := l.store.View(ctx, func(tx zhengzhao.ReadTx) error {
		u, err := tx.FindUnitByCode(unit)
		if zhengzhao.ErrorCode(err) == zhengzhao.ENOTFOUND {
			return zhengzhao.Errorf(zhengzhao.ENOTFOUND, "no unit %s", unit)
		} else if err != nil {
			return err
		}
		rep.Unit = zhengzhao.Party{Code: u.Code, Name: u.Name}
		figs, _, err := figures(tx, &unit, from, to, chinaDate(l.now()))
		if err != nil {
			return err
		}
		rep.Figures = figs[0]
		if rep.Monthly, err = series(tx, &unit, from, to); err != nil {
			return err
		}
		cs, err := tx.FindUnitContacts(unit)
		if err != nil {
			return err
		}
		rep.Contacts = make([]*zhengzhao.UnitContact, len(cs))
		for i, c := range cs {
			rep.Contacts[i] = c.Mask()
		}
		for cursor := ""; ; {
			checks, _, next, err := tx.FindRandomChecks(zhengzhao.RandomCheckFilter{Unit: &unit, Page: zhengzhao.Page{Limit: zhengzhao.MaxPageLimit, Cursor: cursor}})
			if err != nil {
				return err
			}
			for _, c := range checks {
				if c.CreatedAt.In(chinaTime).Year() == year {
					rep.Checks = append(rep.Checks, c)
				}
			}
			if cursor = next; cursor == "" {
				break
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return rep, nil
}
