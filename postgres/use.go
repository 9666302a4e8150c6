package postgres

import (
	"encoding/json"
	"fmt"

	"github.com/zhengzhao-project/zhengzhao"
)

// The use area: service matters, usage lists, scenarios and consent grants
// (migration 0005). Each object is stored as its JSON document.

func decodeDoc[T any](op, doc string) (*T, error) {
	v := new(T)
	if err := json.Unmarshal([]byte(doc), v); err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	return v, nil
}

// docText encodes v and checks that every text value can be stored.
func docText(op string, v any, keys ...string) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("%s: %w", op, err)
	}
	if err := checkText(op, append(keys, string(b))...); err != nil {
		return "", err
	}
	return string(b), nil
}

func findDoc[T any](t *Tx, op, missing, query string, args ...any) (*T, error) {
	if err := checkText(op, stringArgs(args)...); err != nil {
		return nil, notFound(op, "%s", missing)
	}
	var doc string
	if err := t.q.QueryRow(t.ctx, query, args...).Scan(&doc); err != nil {
		return nil, findErr(op, err, "%s", missing)
	}
	return decodeDoc[T](op, doc)
}

func stringArgs(args []any) []string {
	var out []string
	for _, a := range args {
		if s, ok := a.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

func findDocs[T any](t *Tx, op string, w where, query string) ([]*T, error) {
	if err := checkText(op, stringArgs(w.args)...); err != nil {
		return nil, nil
	}
	rows, err := t.q.Query(t.ctx, query, w.args...)
	if err != nil {
		return nil, mapErr(op, err, "")
	}
	defer rows.Close()
	var out []*T
	for rows.Next() {
		var doc string
		if err := rows.Scan(&doc); err != nil {
			return nil, mapErr(op, err, "")
		}
		v, err := decodeDoc[T](op, doc)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, mapErr(op, rows.Err(), "")
}

// create inserts a row unless its key exists: ECONFLICT then, without
// aborting the transaction.
func (t *Tx) create(op, conflict, query string, args ...any) error {
	n, err := t.exec(op, conflict, query+` ON CONFLICT DO NOTHING`, args...)
	if err == nil && n == 0 {
		return &zhengzhao.Error{Code: zhengzhao.ECONFLICT, Message: conflict, Op: op}
	}
	return err
}

// update runs an UPDATE or DELETE that must touch a row: ENOTFOUND
// otherwise.
func (t *Tx) update(op, missing, query string, args ...any) error {
	n, err := t.exec(op, "", query, args...)
	if err == nil && n == 0 {
		return notFound(op, "%s", missing)
	}
	return err
}

// CreateMatter stores a matter. ECONFLICT when its code exists.
func (t *Tx) CreateMatter(m *zhengzhao.Matter) error {
	const op = "postgres.CreateMatter"
	doc, err := docText(op, m, m.Code, m.Owner)
	if err != nil {
		return err
	}
	return t.create(op, "matter "+m.Code+" exists", `INSERT INTO matters (code, owner, doc) VALUES ($1, $2, $3)`, m.Code, m.Owner, doc)
}

// UpdateMatter replaces a matter. ENOTFOUND.
func (t *Tx) UpdateMatter(m *zhengzhao.Matter) error {
	const op = "postgres.UpdateMatter"
	doc, err := docText(op, m, m.Code, m.Owner)
	if err != nil {
		return err
	}
	return t.update(op, "matter "+m.Code+" not found", `UPDATE matters SET owner = $1, doc = $2 WHERE code = $3`, m.Owner, doc, m.Code)
}

// FindMatterByCode returns a matter. ENOTFOUND.
func (t *Tx) FindMatterByCode(code string) (*zhengzhao.Matter, error) {
	return findDoc[zhengzhao.Matter](t, "postgres.FindMatterByCode", "matter "+code+" not found",
		`SELECT doc FROM matters WHERE code = $1`, code)
}

// FindMatters returns the matters, of one owner when owner is set, by code.
func (t *Tx) FindMatters(owner string) ([]*zhengzhao.Matter, error) {
	var w where
	if owner != "" {
		w.add("owner = ?", owner)
	}
	return findDocs[zhengzhao.Matter](t, "postgres.FindMatters", w, `SELECT doc FROM matters WHERE `+w.String()+` ORDER BY code`)
}

// PutUsageList creates or replaces a usage list.
func (t *Tx) PutUsageList(u *zhengzhao.UsageList) error {
	const op = "postgres.PutUsageList"
	doc, err := docText(op, u, u.Unit, u.Matter)
	if err != nil {
		return err
	}
	_, err = t.exec(op, "", `INSERT INTO usage_lists (unit, matter, doc) VALUES ($1, $2, $3)
		ON CONFLICT (unit, matter) DO UPDATE SET doc = excluded.doc`, u.Unit, u.Matter, doc)
	return err
}

// DeleteUsageList removes a usage list. ENOTFOUND.
func (t *Tx) DeleteUsageList(unit, matter string) error {
	const op = "postgres.DeleteUsageList"
	if err := checkText(op, unit, matter); err != nil {
		return notFound(op, "usage list not found")
	}
	return t.update(op, "usage list not found", `DELETE FROM usage_lists WHERE unit = $1 AND matter = $2`, unit, matter)
}

// FindUsageList returns a unit's usage list for a matter. ENOTFOUND.
func (t *Tx) FindUsageList(unit, matter string) (*zhengzhao.UsageList, error) {
	return findDoc[zhengzhao.UsageList](t, "postgres.FindUsageList", "unit "+unit+" has no usage list for matter "+matter,
		`SELECT doc FROM usage_lists WHERE unit = $1 AND matter = $2`, unit, matter)
}

// FindUsageLists returns a unit's usage lists (every unit's when unit is
// empty), by unit and matter.
func (t *Tx) FindUsageLists(unit string) ([]*zhengzhao.UsageList, error) {
	var w where
	if unit != "" {
		w.add("unit = ?", unit)
	}
	return findDocs[zhengzhao.UsageList](t, "postgres.FindUsageLists", w, `SELECT doc FROM usage_lists WHERE `+w.String()+` ORDER BY unit, matter`)
}

// CreateScenario stores a scenario. ECONFLICT when its ID exists.
func (t *Tx) CreateScenario(s *zhengzhao.Scenario) error {
	const op = "postgres.CreateScenario"
	doc, err := docText(op, s, s.ID, s.Unit, s.Region, s.Status, s.Kind)
	if err != nil {
		return err
	}
	return t.create(op, "scenario "+s.ID+" exists", `INSERT INTO scenarios (id, unit, region, status, kind, doc) VALUES ($1, $2, $3, $4, $5, $6)`,
		s.ID, s.Unit, s.Region, s.Status, s.Kind, doc)
}

// UpdateScenario replaces a scenario. ENOTFOUND.
func (t *Tx) UpdateScenario(s *zhengzhao.Scenario) error {
	const op = "postgres.UpdateScenario"
	doc, err := docText(op, s, s.ID, s.Status)
	if err != nil {
		return err
	}
	return t.update(op, "scenario "+s.ID+" not found", `UPDATE scenarios SET status = $1, doc = $2 WHERE id = $3`, s.Status, doc, s.ID)
}

// FindScenarioByID returns a scenario. ENOTFOUND.
func (t *Tx) FindScenarioByID(id string) (*zhengzhao.Scenario, error) {
	return findDoc[zhengzhao.Scenario](t, "postgres.FindScenarioByID", "scenario "+id+" not found",
		`SELECT doc FROM scenarios WHERE id = $1`, id)
}

// FindScenarios returns matching scenarios, oldest first.
func (t *Tx) FindScenarios(f zhengzhao.ScenarioFilter) ([]*zhengzhao.Scenario, error) {
	var w where
	for _, c := range []struct {
		col string
		v   *string
	}{{"unit", f.Unit}, {"region", f.Region}, {"status", f.Status}, {"kind", f.Kind}} {
		if c.v != nil {
			w.add(c.col+" = ?", *c.v)
		}
	}
	return findDocs[zhengzhao.Scenario](t, "postgres.FindScenarios", w, `SELECT doc FROM scenarios WHERE `+w.String()+` ORDER BY seq`)
}

// CreateGrant stores a grant. ECONFLICT when its ID exists.
func (t *Tx) CreateGrant(g *zhengzhao.Grant) error {
	const op = "postgres.CreateGrant"
	doc, err := docText(op, g, g.ID, g.Unit, g.Holder.IDType, g.Holder.ID)
	if err != nil {
		return err
	}
	return t.create(op, "grant "+g.ID+" exists", `INSERT INTO grants (id, unit, holder_id_type, holder_id, doc) VALUES ($1, $2, $3, $4, $5)`,
		g.ID, g.Unit, g.Holder.IDType, g.Holder.ID, doc)
}

// UpdateGrant replaces a grant. ENOTFOUND.
func (t *Tx) UpdateGrant(g *zhengzhao.Grant) error {
	const op = "postgres.UpdateGrant"
	doc, err := docText(op, g, g.ID)
	if err != nil {
		return err
	}
	return t.update(op, "grant "+g.ID+" not found", `UPDATE grants SET doc = $1 WHERE id = $2`, doc, g.ID)
}

// FindGrantByID returns a grant. ENOTFOUND.
func (t *Tx) FindGrantByID(id string) (*zhengzhao.Grant, error) {
	return findDoc[zhengzhao.Grant](t, "postgres.FindGrantByID", "grant "+id+" not found", `SELECT doc FROM grants WHERE id = $1`, id)
}

// FindGrants returns matching grants, oldest first.
func (t *Tx) FindGrants(f zhengzhao.GrantFilter) ([]*zhengzhao.Grant, error) {
	var w where
	if f.Unit != nil {
		w.add("unit = ?", *f.Unit)
	}
	if f.Holder != nil {
		w.add("holder_id = ? AND holder_id_type = ?", f.Holder.ID, f.Holder.IDType)
	}
	return findDocs[zhengzhao.Grant](t, "postgres.FindGrants", w, `SELECT doc FROM grants WHERE `+w.String()+` ORDER BY seq`)
}
