// Measures art. 15 (用证单位接入), art. 18 (社会化应用) and art. 20 (赋能基层): use
// scenarios applied for by units and districts and approved by the administrator.

package library

import (
	"context"
	"fmt"
	"sort"

	"github.com/zhengzhao-project/zhengzhao"
)

// Scenarios (art. 15, 18, 20). A government scenario needs a using unit
// and the administrator's approval; a social scenario needs a social unit
// and the approval of the administrator or of the district of the unit's
// region. Only an approved scenario works: grants under a suspended one
// are refused from the moment of the suspension.

// ApplyScenario records a unit's application.
func (l *Use) ApplyScenario(ctx context.Context, s *zhengzhao.Scenario) error {
	a, err := requireAuthenticated(ctx)
	if err != nil {
		return err
	}
	if a.Kind != zhengzhao.ActorUnit || a.Unit == nil {
		return zhengzhao.Errorf(zhengzhao.EFORBIDDEN, "only a unit applies for a scenario")
	}
	if err := s.Validate(l.typeLookup(ctx)); err != nil {
		return err
	}
	need := zhengzhao.RoleUser
	if s.Kind == zhengzhao.ScenarioSocial {
		need = zhengzhao.RoleSocial
	}
	if !a.Unit.HasRole(need) {
		return zhengzhao.Errorf(zhengzhao.EFORBIDDEN, "a %s scenario needs a unit with the %s role", s.Kind, need)
	}
	s.ID = "sc_" + randomHex(8)
	s.Unit, s.Region, s.Status = a.Unit.Code, a.Unit.Region, zhengzhao.ScenarioPending
	s.DecidedBy, s.DecidedAt, s.Note = "", nil, ""
	s.CreatedAt = l.nowUTC()
	err = l.store.Update(ctx, func(tx zhengzhao.Tx) error {
		if err := tx.CreateScenario(s); err != nil {
			return err
		}
		return audit(ctx, tx, zhengzhao.AuditEntry{Action: zhengzhao.ActionScenarioApply, Subject: s.ID,
			Details: map[string]string{"kind": s.Kind, "name": s.Name, "purpose": s.Purpose, "region": s.Region, "items": scenarioItems(s.Items)}})
	})
	if err != nil {
		return fmt.Errorf("apply for scenario: %w", err)
	}
	return nil
}

func scenarioItems(items []zhengzhao.ScenarioItem) string {
	var out string
	for i, it := range items {
		if i > 0 {
			out += ";"
		}
		out += it.LicenseType + ":"
		for j, f := range it.Fields {
			if j > 0 {
				out += ","
			}
			out += f
		}
	}
	return out
}

// isDistrictOf reports whether the actor is the district that decides the
// scenario: a unit with the district role in the scenario's region, for a
// social scenario.
func isDistrictOf(a zhengzhao.Actor, s *zhengzhao.Scenario) bool {
	return a.Kind == zhengzhao.ActorUnit && a.Unit != nil && a.Unit.HasRole(zhengzhao.RoleDistrict) &&
		a.Unit.Region == s.Region && s.Kind == zhengzhao.ScenarioSocial
}

// mayDecide reports whether the actor decides on the scenario.
func mayDecide(a zhengzhao.Actor, s *zhengzhao.Scenario) bool {
	return isAdmin(a) || isDistrictOf(a, s)
}

// mayReadScenario reports whether the actor may see the scenario.
func mayReadScenario(a zhengzhao.Actor, s *zhengzhao.Scenario) bool {
	return mayDecide(a, s) || a.IsUnit(s.Unit)
}

// DecideScenario approves, rejects, suspends or resumes a scenario.
func (l *Use) DecideScenario(ctx context.Context, id string, d *zhengzhao.ScenarioDecision) (*zhengzhao.Scenario, error) {
	a, err := requireAuthenticated(ctx)
	if err != nil {
		return nil, err
	}
	if err := d.Validate(); err != nil {
		return nil, err
	}
	var s *zhengzhao.Scenario
	err = l.store.Update(ctx, func(tx zhengzhao.Tx) (err error) {
		if s, err = tx.FindScenarioByID(id); err != nil {
			return err
		}
		if !mayDecide(a, s) {
			if mayReadScenario(a, s) {
				return zhengzhao.Errorf(zhengzhao.EFORBIDDEN, "only the administrator or the district of region %s decides on scenario %s", s.Region, id)
			}
			return zhengzhao.Errorf(zhengzhao.ENOTFOUND, "scenario %s not found", id)
		}
		from := map[string]string{"approve": zhengzhao.ScenarioPending, "reject": zhengzhao.ScenarioPending,
			"suspend": zhengzhao.ScenarioApproved, "resume": zhengzhao.ScenarioSuspended}[d.Decision]
		to := map[string]string{"approve": zhengzhao.ScenarioApproved, "reject": zhengzhao.ScenarioRejected,
			"suspend": zhengzhao.ScenarioSuspended, "resume": zhengzhao.ScenarioApproved}[d.Decision]
		if s.Status != from {
			return zhengzhao.Errorf(zhengzhao.ECONFLICT, "scenario %s is %s; only a %s scenario can be %s", id, s.Status, from, pastTense(d.Decision))
		}
		now := tx.Now()
		s.Status, s.DecidedBy, s.DecidedAt, s.Note = to, a.ID(), &now, d.Note
		if err := tx.UpdateScenario(s); err != nil {
			return err
		}
		return audit(ctx, tx, zhengzhao.AuditEntry{Action: zhengzhao.ActionScenarioDecide, Subject: s.ID,
			Details: map[string]string{"decision": d.Decision, "status": s.Status, "note": d.Note, "region": s.Region, "unit": s.Unit}})
	})
	if err != nil {
		return nil, fmt.Errorf("decide scenario %s: %w", id, err)
	}
	return s, nil
}

func pastTense(decision string) string {
	switch decision {
	case "approve":
		return "approved"
	case "reject":
		return "rejected"
	case "suspend":
		return "suspended"
	}
	return "resumed"
}

// FindScenarioByID returns a scenario to its unit, its deciders and the
// administrator; to anyone else it does not exist.
func (l *Use) FindScenarioByID(ctx context.Context, id string) (*zhengzhao.Scenario, error) {
	a, err := requireAuthenticated(ctx)
	if err != nil {
		return nil, err
	}
	var s *zhengzhao.Scenario
	err = l.store.View(ctx, func(tx zhengzhao.ReadTx) (err error) {
		s, err = tx.FindScenarioByID(id)
		return err
	})
	if err == nil && !mayReadScenario(a, s) {
		return nil, zhengzhao.Errorf(zhengzhao.ENOTFOUND, "scenario %s not found", id)
	}
	return s, err
}

// FindScenarios lists scenarios: the administrator all, a district the
// social scenarios of its region, any other unit its own.
func (l *Use) FindScenarios(ctx context.Context, f zhengzhao.ScenarioFilter) ([]*zhengzhao.Scenario, error) {
	a, err := requireAuthenticated(ctx)
	if err != nil {
		return nil, err
	}
	switch {
	case isAdmin(a):
	case a.Kind == zhengzhao.ActorUnit && a.Unit != nil && a.Unit.HasRole(zhengzhao.RoleDistrict):
		if f.Region != nil && *f.Region != a.Unit.Region {
			return nil, zhengzhao.Errorf(zhengzhao.EFORBIDDEN, "a district sees only the scenarios of its region %s", a.Unit.Region)
		}
		social := zhengzhao.ScenarioSocial
		f.Region, f.Kind = &a.Unit.Region, &social
	case a.Kind == zhengzhao.ActorUnit && a.Unit != nil:
		if f.Unit != nil && *f.Unit != a.Unit.Code {
			return nil, zhengzhao.Errorf(zhengzhao.EFORBIDDEN, "a unit sees only its own scenarios")
		}
		f.Unit = &a.Unit.Code
	default:
		return nil, zhengzhao.Errorf(zhengzhao.EFORBIDDEN, "holders have no scenarios")
	}
	var ss []*zhengzhao.Scenario
	err = l.store.View(ctx, func(tx zhengzhao.ReadTx) (err error) {
		ss, err = tx.FindScenarios(f)
		return err
	})
	return ss, err
}

// ScenarioReport summarises the social scenarios by region for the
// administrator (art. 20: districts report their scenarios).
func (l *Use) ScenarioReport(ctx context.Context) (*zhengzhao.ScenarioReport, error) {
	if err := requireAdmin(ctx); err != nil {
		return nil, err
	}
	social := zhengzhao.ScenarioSocial
	var ss []*zhengzhao.Scenario
	err := l.store.View(ctx, func(tx zhengzhao.ReadTx) (err error) {
		ss, err = tx.FindScenarios(zhengzhao.ScenarioFilter{Kind: &social})
		return err
	})
	if err != nil {
		return nil, err
	}
	by := map[string]*zhengzhao.RegionScenarios{}
	for _, s := range ss {
		r := by[s.Region]
		if r == nil {
			r = &zhengzhao.RegionScenarios{Region: s.Region, Counts: map[string]int{}}
			by[s.Region] = r
		}
		r.Counts[s.Status]++
		r.Scenarios = append(r.Scenarios, s)
	}
	rep := &zhengzhao.ScenarioReport{GeneratedAt: l.nowUTC(), Regions: []zhengzhao.RegionScenarios{}}
	for _, r := range by {
		rep.Regions = append(rep.Regions, *r)
	}
	sort.Slice(rep.Regions, func(i, j int) bool { return rep.Regions[i].Region < rep.Regions[j].Region })
	return rep, nil
}
