package importer

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/zhengzhao-project/zhengzhao"
)

// Record is a row made into the license it describes.
type Record struct {
	Row int64
	// ID is the issuer's full license ID when the row has one (historical
	// data keeps the identifier its issuer gave it).
	ID string
	// Provenance is the row's provenance column, or "".
	Provenance string
	// Request is the license content. Its Serial is the serial column, or
	// empty.
	Request zhengzhao.IssueRequest
	// Problems were found reading and converting the row, by column name;
	// the library validates the request on top.
	Problems []zhengzhao.FieldError
}

// Known returns the column filter of a license type: the standard columns
// and the type's face-field keys.
func Known(t *zhengzhao.LicenseType) func(string) bool {
	return func(c string) bool {
		if slices.Contains(StandardColumns, c) {
			return true
		}
		_, ok := t.Field(c)
		return ok
	}
}

// ToRecord converts a row of the license type t. Text columns must be
// strings (JSON numbers are taken as their digits); face fields are
// converted by their template type: a CSV number cell becomes an exact
// json.Number, other cells stay strings.
func ToRecord(row *Row, t *zhengzhao.LicenseType) *Record {
	rec := &Record{Row: row.Num, Problems: slices.Clone(row.Problems)}
	text := func(col string) string {
		switch v := row.Values[col].(type) {
		case nil:
			return ""
		case string:
			return v
		case json.Number:
			return v.String()
		default:
			rec.Problems = append(rec.Problems, zhengzhao.FieldError{Field: col, Message: "must be a string"})
			return ""
		}
	}
	rec.ID = text(ColID)
	rec.Provenance = text(ColProvenance)
	r := &rec.Request
	r.Type = t.Code
	r.Serial = text(ColSerial)
	r.Number = text(ColNumber)
	r.Holder.ID = text(ColHolderID)
	r.Holder.Name = text(ColHolderName)
	r.Holder.IDType = text(ColHolderIDType)
	if r.Holder.IDType == "" {
		r.Holder.IDType = InferIDType(r.Holder.ID, t.HolderKind)
	}
	switch r.Holder.IDType {
	case zhengzhao.IDTypeResident:
		r.Holder.Kind = zhengzhao.HolderPerson
	case zhengzhao.IDTypeUSCC:
		r.Holder.Kind = zhengzhao.HolderOrganization
	default:
		r.Holder.Kind = t.HolderKind
	}
	r.IssuedOn = text(ColIssuedOn)
	r.ValidFrom = text(ColValidFrom)
	if r.ValidFrom == "" {
		r.ValidFrom = r.IssuedOn // a license is valid from its issue unless it says otherwise
	}
	if until := text(ColValidUntil); until != "" && until != "长期" {
		r.ValidUntil = &until
	}
	r.Fields = map[string]any{}
	for _, f := range t.Fields {
		v, ok := row.Values[f.Key]
		if !ok || v == nil {
			continue
		}
		if s, isText := v.(string); isText && f.Type == zhengzhao.FieldNumber {
			s = strings.TrimSpace(s)
			if jsonNumberRE.MatchString(s) {
				v = json.Number(s)
			}
		}
		r.Fields[f.Key] = v
	}
	return rec
}

// InferIDType returns the holder ID type a row leaves out: the one of the
// license type's holder kind (a resident identity number for persons, a
// unified social credit code for organisations), or else the one whose
// rules the ID's shape satisfies ("" when neither).
func InferIDType(id string, kind zhengzhao.HolderKind) string {
	switch kind {
	case zhengzhao.HolderPerson:
		return zhengzhao.IDTypeResident
	case zhengzhao.HolderOrganization:
		return zhengzhao.IDTypeUSCC
	}
	switch {
	case zhengzhao.ValidateResidentID(id) == nil:
		return zhengzhao.IDTypeResident
	case zhengzhao.ValidateUSCC(id) == nil:
		return zhengzhao.IDTypeUSCC
	}
	return ""
}

// Column names the file column of a request field path as validation
// reports it: "holder.id" → holder_id, "fields.capital" → capital.
func Column(field string) string {
	switch field {
	case "holder.id":
		return ColHolderID
	case "holder.id_type", "holder.kind":
		return ColHolderIDType
	case "holder.name":
		return ColHolderName
	case "type":
		return "type"
	}
	if k, ok := strings.CutPrefix(field, "fields."); ok {
		return k
	}
	return field
}

// ReportHeader is the header of an import report in CSV.
var ReportHeader = []string{"row", "field", "reason", "outcome"}

// ReportRecord returns a problem as a CSV report record.
func ReportRecord(p *zhengzhao.ImportProblem) []string {
	return []string{fmt.Sprint(p.Row), p.Field, p.Reason, p.Outcome}
}
