package http

import (
	nethttp "net/http"
	"net/url"
	"time"

	"github.com/zhengzhao-project/zhengzhao"
)

// unitRequest is the body of POST /v1/units: the members a client may set.
type unitRequest struct {
	Code       string           `json:"code"`
	Name       string           `json:"name"`
	Roles      []zhengzhao.Role `json:"roles"`
	Region     string           `json:"region"`
	SigningAlg string           `json:"signing_alg"`
}

// handleCreateUnit handles POST /v1/units.
func (s *Server) handleCreateUnit(w nethttp.ResponseWriter, r *nethttp.Request) {
	var req unitRequest
	if err := s.decode(r, &req); err != nil {
		s.error(w, r, err)
		return
	}
	u := &zhengzhao.Unit{Code: req.Code, Name: req.Name, Roles: req.Roles, Region: req.Region, SigningAlg: req.SigningAlg}
	if err := s.units.CreateUnit(r.Context(), u); err != nil {
		s.error(w, r, err)
		return
	}
	w.Header().Set("Location", "/v1/units/"+url.PathEscape(u.Code))
	s.render(w, r, nethttp.StatusCreated, fillUnit(u))
}

// handleListUnits handles GET /v1/units.
func (s *Server) handleListUnits(w nethttp.ResponseWriter, r *nethttp.Request) {
	var fields []zhengzhao.FieldError
	f := zhengzhao.UnitFilter{Page: page(r, &fields)}
	if role := optString(r, "role", &fields); role != nil {
		switch rl := zhengzhao.Role(*role); rl {
		case zhengzhao.RoleIssuer, zhengzhao.RoleUser, zhengzhao.RoleSocial:
			f.Role = &rl
		default:
			fields = append(fields, zhengzhao.FieldError{Field: "role", Message: "must be one of issuer, user, social"})
		}
	}
	if err := invalid("invalid query", fields); err != nil {
		s.error(w, r, err)
		return
	}
	units, total, next, err := s.units.FindUnits(r.Context(), f)
	if err != nil {
		s.error(w, r, err)
		return
	}
	for _, u := range units {
		fillUnit(u)
	}
	s.render(w, r, nethttp.StatusOK, newList(units, total, next))
}

// handleGetUnit handles GET /v1/units/{code}.
func (s *Server) handleGetUnit(w nethttp.ResponseWriter, r *nethttp.Request) {
	u, err := s.units.FindUnitByCode(r.Context(), r.PathValue("code"))
	if err != nil {
		s.error(w, r, err)
		return
	}
	s.render(w, r, nethttp.StatusOK, fillUnit(u))
}

// fillUnit makes nil lists empty, so that JSON clients get [] and not null.
func fillUnit(u *zhengzhao.Unit) *zhengzhao.Unit {
	if u.Roles == nil {
		u.Roles = []zhengzhao.Role{}
	}
	return u
}

// unitKeyResponse is the body of a created unit key: the secret, shown
// only in this response.
type unitKeyResponse struct {
	Key       string    `json:"key"`
	ID        string    `json:"id"`
	Unit      string    `json:"unit"`
	CreatedAt time.Time `json:"created_at"`
}

// handleCreateUnitKey handles POST /v1/units/{code}/keys. The request body
// is ignored.
func (s *Server) handleCreateUnitKey(w nethttp.ResponseWriter, r *nethttp.Request) {
	secret, k, err := s.units.CreateUnitKey(r.Context(), r.PathValue("code"))
	if err != nil {
		s.error(w, r, err)
		return
	}
	s.render(w, r, nethttp.StatusCreated, unitKeyResponse{Key: secret, ID: k.ID, Unit: k.Unit, CreatedAt: k.CreatedAt})
}
