package http

import (
	nethttp "net/http"
	"time"

	"github.com/zhengzhao-project/zhengzhao"
)

// unitKey is a unit's API key as listed: never its secret.
type unitKey struct {
	ID        string     `json:"id"`
	Unit      string     `json:"unit"`
	CreatedAt time.Time  `json:"created_at"`
	RevokedAt *time.Time `json:"revoked_at,omitempty"`
}

func toUnitKey(k *zhengzhao.UnitKey) unitKey {
	return unitKey{ID: k.ID, Unit: k.Unit, CreatedAt: k.CreatedAt, RevokedAt: k.RevokedAt}
}

// handleListUnitKeys handles GET /v1/units/{code}/keys.
func (s *Server) handleListUnitKeys(w nethttp.ResponseWriter, r *nethttp.Request) {
	keys, err := s.units.FindUnitKeys(r.Context(), r.PathValue("code"))
	if err != nil {
		s.error(w, r, err)
		return
	}
	items := make([]unitKey, len(keys))
	for i, k := range keys {
		items[i] = toUnitKey(k)
	}
	s.render(w, r, nethttp.StatusOK, struct {
		Items []unitKey `json:"items"`
	}{items})
}

// handleRevokeUnitKey handles POST /v1/units/{code}/keys/{id}/revoke. The
// request body is ignored.
func (s *Server) handleRevokeUnitKey(w nethttp.ResponseWriter, r *nethttp.Request) {
	k, err := s.units.RevokeUnitKey(r.Context(), r.PathValue("code"), r.PathValue("id"))
	if err != nil {
		s.error(w, r, err)
		return
	}
	s.render(w, r, nethttp.StatusOK, toUnitKey(k))
}

// handleRotateSigningKey handles POST /v1/units/{code}/signing-keys. The
// request body is ignored.
func (s *Server) handleRotateSigningKey(w nethttp.ResponseWriter, r *nethttp.Request) {
	k, err := s.units.RotateSigningKey(r.Context(), r.PathValue("code"))
	if err != nil {
		s.error(w, r, err)
		return
	}
	s.render(w, r, nethttp.StatusCreated, signingKey{KID: k.KID, Alg: k.Alg, Unit: k.Unit, Cert: k.CertPEM,
		NotBefore: k.NotBefore, NotAfter: k.NotAfter, Active: k.Active})
}
