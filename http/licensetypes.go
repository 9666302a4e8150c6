package http

import (
	nethttp "net/http"
	"net/url"
	"strconv"

	"github.com/zhengzhao-project/zhengzhao"
)

// licenseTypeRequest is the body of POST /v1/license-types: the members a
// client may set. Definer, owner and creation time are the library's.
type licenseTypeRequest struct {
	Code         string                `json:"code"`
	Name         string                `json:"name"`
	HolderKind   zhengzhao.HolderKind  `json:"holder_kind"`
	Level        string                `json:"level"`
	Public       bool                  `json:"public"`
	CollectSince string                `json:"collect_since"`
	Fields       []zhengzhao.FieldSpec `json:"fields"`
	Issuers      []string              `json:"issuers"`
}

// handleCreateLicenseType handles POST /v1/license-types.
func (s *Server) handleCreateLicenseType(w nethttp.ResponseWriter, r *nethttp.Request) {
	var req licenseTypeRequest
	if err := s.decode(r, &req); err != nil {
		s.error(w, r, err)
		return
	}
	t := &zhengzhao.LicenseType{
		Code:         req.Code,
		Name:         req.Name,
		HolderKind:   req.HolderKind,
		Level:        req.Level,
		Public:       req.Public,
		CollectSince: req.CollectSince,
		Fields:       req.Fields,
		Issuers:      req.Issuers,
	}
	if err := s.catalog.CreateLicenseType(r.Context(), t); err != nil {
		s.error(w, r, err)
		return
	}
	w.Header().Set("Location", "/v1/license-types/"+url.PathEscape(t.Code))
	s.render(w, r, nethttp.StatusCreated, fillLicenseType(t))
}

// handleListLicenseTypes handles GET /v1/license-types.
func (s *Server) handleListLicenseTypes(w nethttp.ResponseWriter, r *nethttp.Request) {
	var fields []zhengzhao.FieldError
	f := zhengzhao.LicenseTypeFilter{Page: page(r, &fields)}
	if v := optString(r, "public_only", &fields); v != nil {
		b, err := strconv.ParseBool(*v)
		if err != nil {
			fields = append(fields, zhengzhao.FieldError{Field: "public_only", Message: "must be true or false"})
		}
		f.PublicOnly = b
	}
	f.Issuer = optString(r, "issuer", &fields)
	if err := invalid("invalid query", fields); err != nil {
		s.error(w, r, err)
		return
	}
	types, total, next, err := s.catalog.FindLicenseTypes(r.Context(), f)
	if err != nil {
		s.error(w, r, err)
		return
	}
	for _, t := range types {
		fillLicenseType(t)
	}
	s.render(w, r, nethttp.StatusOK, newList(types, total, next))
}

// handleGetLicenseType handles GET /v1/license-types/{code}.
func (s *Server) handleGetLicenseType(w nethttp.ResponseWriter, r *nethttp.Request) {
	t, err := s.catalog.FindLicenseTypeByCode(r.Context(), r.PathValue("code"))
	if err != nil {
		s.error(w, r, err)
		return
	}
	s.render(w, r, nethttp.StatusOK, fillLicenseType(t))
}

// fillLicenseType makes nil lists empty, so that JSON clients get [] and
// not null.
func fillLicenseType(t *zhengzhao.LicenseType) *zhengzhao.LicenseType {
	if t.Fields == nil {
		t.Fields = []zhengzhao.FieldSpec{}
	}
	if t.Issuers == nil {
		t.Issuers = []string{}
	}
	return t
}
