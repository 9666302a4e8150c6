package sqlite

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

func (tx *Tx) findDoc(op, query string, arg []any, missing string) (string, error) {
	var doc string
	if err := tx.queryRow(query, arg...).Scan(&doc); err != nil {
		return "", notFound(op, err, "%s", missing)
	}
	return doc, nil
}

func findDocs[T any](tx *Tx, op, query string, args ...any) ([]*T, error) {
	rows, err := tx.query(query, args...)
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

// CreateMatter stores a matter. ECONFLICT when its code exists.
func (tx *Tx) CreateMatter(m *zhengzhao.Matter) error {
	doc, err := jsonText(m)
	if err != nil {
		return err
	}
	_, err = tx.exec(`INSERT INTO matters (code, owner, doc) VALUES (?, ?, ?)`, m.Code, m.Owner, doc)
	return mapErr("sqlite.CreateMatter", err, "matter "+m.Code+" exists")
}

// UpdateMatter replaces a matter. ENOTFOUND.
func (tx *Tx) UpdateMatter(m *zhengzhao.Matter) error {
	doc, err := jsonText(m)
	if err != nil {
		return err
	}
	res, err := tx.exec(`UPDATE matters SET owner = ?, doc = ? WHERE code = ?`, m.Owner, doc, m.Code)
	return affected("sqlite.UpdateMatter", res, err, "matter "+m.Code+" not found")
}

// FindMatterByCode returns a matter. ENOTFOUND.
func (tx *Tx) FindMatterByCode(code string) (*zhengzhao.Matter, error) {
	const op = "sqlite.FindMatterByCode"
	doc, err := tx.findDoc(op, `SELECT doc FROM matters WHERE code = ?`, []any{code}, "matter "+code+" not found")
	if err != nil {
		return nil, err
	}
	return decodeDoc[zhengzhao.Matter](op, doc)
}

// FindMatters returns the matters, of one owner when owner is set, by code.
func (tx *Tx) FindMatters(owner string) ([]*zhengzhao.Matter, error) {
	if owner != "" {
		return findDocs[zhengzhao.Matter](tx, "sqlite.FindMatters", `SELECT doc FROM matters WHERE owner = ? ORDER BY code`, owner)
	}
	return findDocs[zhengzhao.Matter](tx, "sqlite.FindMatters", `SELECT doc FROM matters ORDER BY code`)
}

// PutUsageList creates or replaces a usage list.
func (tx *Tx) PutUsageList(u *zhengzhao.UsageList) error {
	doc, err := jsonText(u)
	if err != nil {
		return err
	}
	_, err = tx.exec(`INSERT INTO usage_lists (unit, matter, doc) VALUES (?, ?, ?)
		ON CONFLICT (unit, matter) DO UPDATE SET doc = excluded.doc`, u.Unit, u.Matter, doc)
	return mapErr("sqlite.PutUsageList", err, "")
}

// DeleteUsageList removes a usage list. ENOTFOUND.
func (tx *Tx) DeleteUsageList(unit, matter string) error {
	res, err := tx.exec(`DELETE FROM usage_lists WHERE unit = ? AND matter = ?`, unit, matter)
	return affected("sqlite.DeleteUsageList", res, err, "usage list not found")
}

// FindUsageList returns a unit's usage list for a matter. ENOTFOUND.
func (tx *Tx) FindUsageList(unit, matter string) (*zhengzhao.UsageList, error) {
	const op = "sqlite.FindUsageList"
	doc, err := tx.findDoc(op, `SELECT doc FROM usage_lists WHERE unit = ? AND matter = ?`, []any{unit, matter},
		"unit "+unit+" has no usage list for matter "+matter)
	if err != nil {
		return nil, err
	}
	return decodeDoc[zhengzhao.UsageList](op, doc)
}

// FindUsageLists returns a unit's usage lists (every unit's when unit is
// empty), by unit and matter.
func (tx *Tx) FindUsageLists(unit string) ([]*zhengzhao.UsageList, error) {
	if unit != "" {
		return findDocs[zhengzhao.UsageList](tx, "sqlite.FindUsageLists", `SELECT doc FROM usage_lists WHERE unit = ? ORDER BY unit, matter`, unit)
	}
	return findDocs[zhengzhao.UsageList](tx, "sqlite.FindUsageLists", `SELECT doc FROM usage_lists ORDER BY unit, matter`)
}

// CreateScenario stores a scenario. ECONFLICT when its ID exists.
func (tx *Tx) CreateScenario(s *zhengzhao.Scenario) error {
	doc, err := jsonText(s)
	if err != nil {
		return err
	}
	_, err = tx.exec(`INSERT INTO scenarios (id, unit, region, status, kind, doc) VALUES (?, ?, ?, ?, ?, ?)`,
		s.ID, s.Unit, s.Region, s.Status, s.Kind, doc)
	return mapErr("sqlite.CreateScenario", err, "scenario "+s.ID+" exists")
}

// UpdateScenario replaces a scenario. ENOTFOUND.
func (tx *Tx) UpdateScenario(s *zhengzhao.Scenario) error {
	doc, err := jsonText(s)
	if err != nil {
		return err
	}
	res, err := tx.exec(`UPDATE scenarios SET status = ?, doc = ? WHERE id = ?`, s.Status, doc, s.ID)
	return affected("sqlite.UpdateScenario", res, err, "scenario "+s.ID+" not found")
}

// FindScenarioByID returns a scenario. ENOTFOUND.
func (tx *Tx) FindScenarioByID(id string) (*zhengzhao.Scenario, error) {
	const op = "sqlite.FindScenarioByID"
	doc, err := tx.findDoc(op, `SELECT doc FROM scenarios WHERE id = ?`, []any{id}, "scenario "+id+" not found")
	if err != nil {
		return nil, err
	}
	return decodeDoc[zhengzhao.Scenario](op, doc)
}

// FindScenarios returns matching scenarios, oldest first.
func (tx *Tx) FindScenarios(f zhengzhao.ScenarioFilter) ([]*zhengzhao.Scenario, error) {
	q, args := `SELECT doc FROM scenarios WHERE 1 = 1`, []any{}
	for _, c := range []struct {
		col string
		v   *string
	}{{"unit", f.Unit}, {"region", f.Region}, {"status", f.Status}, {"kind", f.Kind}} {
		if c.v != nil {
			q += ` AND ` + c.col + ` = ?`
			args = append(args, *c.v)
		}
	}
	return findDocs[zhengzhao.Scenario](tx, "sqlite.FindScenarios", q+` ORDER BY seq`, args...)
}

// CreateGrant stores a grant. ECONFLICT when its ID exists.
func (tx *Tx) CreateGrant(g *zhengzhao.Grant) error {
	doc, err := jsonText(g)
	if err != nil {
		return err
	}
	_, err = tx.exec(`INSERT INTO grants (id, unit, holder_id_type, holder_id, doc) VALUES (?, ?, ?, ?, ?)`,
		g.ID, g.Unit, g.Holder.IDType, g.Holder.ID, doc)
	return mapErr("sqlite.CreateGrant", err, "grant "+g.ID+" exists")
}

// UpdateGrant replaces a grant. ENOTFOUND.
func (tx *Tx) UpdateGrant(g *zhengzhao.Grant) error {
	doc, err := jsonText(g)
	if err != nil {
		return err
	}
	res, err := tx.exec(`UPDATE grants SET doc = ? WHERE id = ?`, doc, g.ID)
	return affected("sqlite.UpdateGrant", res, err, "grant "+g.ID+" not found")
}

// FindGrantByID returns a grant. ENOTFOUND.
func (tx *Tx) FindGrantByID(id string) (*zhengzhao.Grant, error) {
	const op = "sqlite.FindGrantByID"
	doc, err := tx.findDoc(op, `SELECT doc FROM grants WHERE id = ?`, []any{id}, "grant "+id+" not found")
	if err != nil {
		return nil, err
	}
	return decodeDoc[zhengzhao.Grant](op, doc)
}

// FindGrants returns matching grants, oldest first.
func (tx *Tx) FindGrants(f zhengzhao.GrantFilter) ([]*zhengzhao.Grant, error) {
	q, args := `SELECT doc FROM grants WHERE 1 = 1`, []any{}
	if f.Unit != nil {
		q += ` AND unit = ?`
		args = append(args, *f.Unit)
	}
	if f.Holder != nil {
		q += ` AND holder_id = ? AND holder_id_type = ?`
		args = append(args, f.Holder.ID, f.Holder.IDType)
	}
	return findDocs[zhengzhao.Grant](tx, "sqlite.FindGrants", q+` ORDER BY seq`, args...)
}
