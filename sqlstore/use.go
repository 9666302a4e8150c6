package sqlstore

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
func (t *Tx) docText(op string, v any, keys ...string) (string, error) {
	s, err := t.jsonArg(op, v)
	if err != nil {
		return "", err
	}
	if err := t.checkText(op, append(keys, s)...); err != nil {
		return "", err
	}
	return s, nil
}

func findDoc[T any](t *Tx, op, missing, query string, args ...any) (*T, error) {
	if err := t.checkText(op, stringArgs(args)...); err != nil {
		return nil, &zhengzhao.Error{Code: zhengzhao.ENOTFOUND, Message: missing, Op: t.d.Name + "." + op}
	}
	var doc string
	if err := t.queryRow(query, args...).Scan(&doc); err != nil {
		return nil, t.found(op, err, missing)
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
	if err := t.checkText(op, stringArgs(w.args)...); err != nil {
		return nil, nil
	}
	rows, err := t.query(query, w.args...)
	if err != nil {
		return nil, t.Err(op, err, "")
	}
	defer rows.Close()
	var out []*T
	for rows.Next() {
		var doc string
		if err := rows.Scan(&doc); err != nil {
			return nil, t.Err(op, err, "")
		}
		v, err := decodeDoc[T](op, doc)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, t.Err(op, rows.Err(), "")
}

// CreateMatter stores a matter. ECONFLICT when its code exists.
func (t *Tx) CreateMatter(m *zhengzhao.Matter) error {
	const op = "CreateMatter"
	doc, err := t.docText(op, m, m.Code, m.Owner)
	if err != nil {
		return err
	}
	return t.insertOne(op, "matter "+m.Code+" exists", `INSERT INTO matters (code, owner, doc) VALUES (?, ?, ?)`, m.Code, m.Owner, doc)
}

// UpdateMatter replaces a matter. ENOTFOUND.
func (t *Tx) UpdateMatter(m *zhengzhao.Matter) error {
	const op = "UpdateMatter"
	doc, err := t.docText(op, m, m.Code, m.Owner)
	if err != nil {
		return err
	}
	return t.update(op, "matter "+m.Code+" not found", `UPDATE matters SET owner = ?, doc = ? WHERE code = ?`, m.Owner, doc, m.Code)
}

// FindMatterByCode returns a matter. ENOTFOUND.
func (t *Tx) FindMatterByCode(code string) (*zhengzhao.Matter, error) {
	return findDoc[zhengzhao.Matter](t, "FindMatterByCode", "matter "+code+" not found",
		`SELECT doc FROM matters WHERE code = ?`, code)
}

// FindMatters returns the matters, of one owner when owner is set, by code.
func (t *Tx) FindMatters(owner string) ([]*zhengzhao.Matter, error) {
	var w where
	if owner != "" {
		w.add("owner = ?", owner)
	}
	return findDocs[zhengzhao.Matter](t, "FindMatters", w, `SELECT doc FROM matters WHERE `+w.String()+` ORDER BY code`)
}

// PutUsageList creates or replaces a usage list.
func (t *Tx) PutUsageList(u *zhengzhao.UsageList) error {
	const op = "PutUsageList"
	doc, err := t.docText(op, u, u.Unit, u.Matter)
	if err != nil {
		return err
	}
	_, err = t.exec(op, `INSERT INTO usage_lists (unit, matter, doc) VALUES (?, ?, ?)
		ON CONFLICT (unit, matter) DO UPDATE SET doc = excluded.doc`, u.Unit, u.Matter, doc)
	return err
}

// DeleteUsageList removes a usage list. ENOTFOUND.
func (t *Tx) DeleteUsageList(unit, matter string) error {
	const op = "DeleteUsageList"
	if err := t.checkText(op, unit, matter); err != nil {
		return t.notFound(op, "usage list not found")
	}
	return t.update(op, "usage list not found", `DELETE FROM usage_lists WHERE unit = ? AND matter = ?`, unit, matter)
}

// FindUsageList returns a unit's usage list for a matter. ENOTFOUND.
func (t *Tx) FindUsageList(unit, matter string) (*zhengzhao.UsageList, error) {
	return findDoc[zhengzhao.UsageList](t, "FindUsageList", "unit "+unit+" has no usage list for matter "+matter,
		`SELECT doc FROM usage_lists WHERE unit = ? AND matter = ?`, unit, matter)
}

// FindUsageLists returns a unit's usage lists (every unit's when unit is
// empty), by unit and matter.
func (t *Tx) FindUsageLists(unit string) ([]*zhengzhao.UsageList, error) {
	var w where
	if unit != "" {
		w.add("unit = ?", unit)
	}
	return findDocs[zhengzhao.UsageList](t, "FindUsageLists", w, `SELECT doc FROM usage_lists WHERE `+w.String()+` ORDER BY unit, matter`)
}

// CreateScenario stores a scenario. ECONFLICT when its ID exists.
func (t *Tx) CreateScenario(s *zhengzhao.Scenario) error {
	const op = "CreateScenario"
	doc, err := t.docText(op, s, s.ID, s.Unit, s.Region, s.Status, s.Kind)
	if err != nil {
		return err
	}
	return t.insertOne(op, "scenario "+s.ID+" exists", `INSERT INTO scenarios (id, unit, region, status, kind, doc) VALUES (?, ?, ?, ?, ?, ?)`,
		s.ID, s.Unit, s.Region, s.Status, s.Kind, doc)
}

// UpdateScenario replaces a scenario. ENOTFOUND.
func (t *Tx) UpdateScenario(s *zhengzhao.Scenario) error {
	const op = "UpdateScenario"
	doc, err := t.docText(op, s, s.ID, s.Status)
	if err != nil {
		return err
	}
	return t.update(op, "scenario "+s.ID+" not found", `UPDATE scenarios SET status = ?, doc = ? WHERE id = ?`, s.Status, doc, s.ID)
}

// FindScenarioByID returns a scenario. ENOTFOUND.
func (t *Tx) FindScenarioByID(id string) (*zhengzhao.Scenario, error) {
	return findDoc[zhengzhao.Scenario](t, "FindScenarioByID", "scenario "+id+" not found",
		`SELECT doc FROM scenarios WHERE id = ?`, id)
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
	return findDocs[zhengzhao.Scenario](t, "FindScenarios", w, `SELECT doc FROM scenarios WHERE `+w.String()+` ORDER BY seq`)
}

// CreateGrant stores a grant. ECONFLICT when its ID exists.
func (t *Tx) CreateGrant(g *zhengzhao.Grant) error {
	const op = "CreateGrant"
	doc, err := t.docText(op, g, g.ID, g.Unit, g.Holder.IDType, g.Holder.ID)
	if err != nil {
		return err
	}
	return t.insertOne(op, "grant "+g.ID+" exists", `INSERT INTO grants (id, unit, holder_id_type, holder_id, doc) VALUES (?, ?, ?, ?, ?)`,
		g.ID, g.Unit, g.Holder.IDType, g.Holder.ID, doc)
}

// UpdateGrant replaces a grant. ENOTFOUND.
func (t *Tx) UpdateGrant(g *zhengzhao.Grant) error {
	const op = "UpdateGrant"
	doc, err := t.docText(op, g, g.ID)
	if err != nil {
		return err
	}
	return t.update(op, "grant "+g.ID+" not found", `UPDATE grants SET doc = ? WHERE id = ?`, doc, g.ID)
}

// FindGrantByID returns a grant. ENOTFOUND.
func (t *Tx) FindGrantByID(id string) (*zhengzhao.Grant, error) {
	return findDoc[zhengzhao.Grant](t, "FindGrantByID", "grant "+id+" not found", `SELECT doc FROM grants WHERE id = ?`, id)
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
	return findDocs[zhengzhao.Grant](t, "FindGrants", w, `SELECT doc FROM grants WHERE `+w.String()+` ORDER BY seq`)
}
