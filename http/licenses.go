package http

import (
	nethttp "net/http"
	"net/url"
	"slices"

	"github.com/zhengzhao-project/zhengzhao"
)

// The plain types drop the UnmarshalJSON methods of the domain types, so
// that decode can add DisallowUnknownFields to their UseNumber decoding.
type (
	issueRequest  zhengzhao.IssueRequest
	licenseUpdate zhengzhao.LicenseUpdate
)

// revokeRequest is the body of POST /v1/licenses/{id}/revoke.
type revokeRequest struct {
	Reason string `json:"reason"`
}

// maxIdempotencyKey bounds the Idempotency-Key header.
const maxIdempotencyKey = 255

// idempotencyKey returns the request's Idempotency-Key: at most 255
// printable ASCII characters, or "" when absent.
func idempotencyKey(r *nethttp.Request) (string, error) {
	values := r.Header.Values("Idempotency-Key")
	if len(values) == 0 {
		return "", nil
	}
	bad := func(msg string) error {
		return invalid("invalid Idempotency-Key header", []zhengzhao.FieldError{{Field: "Idempotency-Key", Message: msg}})
	}
	if len(values) > 1 {
		return "", bad("given more than once")
	}
	key := values[0]
	if key == "" || len(key) > maxIdempotencyKey {
		return "", bad("must be 1 to 255 characters")
	}
	for i := 0; i < len(key); i++ {
		if key[i] < 0x21 || key[i] > 0x7e {
			return "", bad("must be printable ASCII without spaces")
		}
	}
	return key, nil
}

// handleIssueLicense handles POST /v1/licenses.
func (s *Server) handleIssueLicense(w nethttp.ResponseWriter, r *nethttp.Request) {
	key, err := idempotencyKey(r)
	if err != nil {
		s.error(w, r, err)
		return
	}
	var req zhengzhao.IssueRequest
	if err := s.decode(r, (*issueRequest)(&req)); err != nil {
		s.error(w, r, err)
		return
	}
	l, err := s.licenses.IssueLicense(r.Context(), &req, key)
	if err != nil {
		s.error(w, r, err)
		return
	}
	w.Header().Set("Location", licensePath(l.ID))
	s.render(w, r, nethttp.StatusCreated, l)
}

func licensePath(id string) string { return "/v1/licenses/" + url.PathEscape(id) }

// handleGetLicense handles GET /v1/licenses/{id}.
func (s *Server) handleGetLicense(w nethttp.ResponseWriter, r *nethttp.Request) {
	l, err := s.licenses.FindLicenseByID(r.Context(), r.PathValue("id"))
	if err != nil {
		s.error(w, r, hideOthers(err, r.PathValue("id")))
		return
	}
	s.render(w, r, nethttp.StatusOK, l)
}

// licenseStatuses are the statuses a license list can be filtered by: the
// stored ones (expired is derived from the dates when a license is read).
var licenseStatuses = []string{zhengzhao.StatusValid, zhengzhao.StatusSuperseded, zhengzhao.StatusRevoked}

// handleListLicenses handles GET /v1/licenses.
func (s *Server) handleListLicenses(w nethttp.ResponseWriter, r *nethttp.Request) {
	var fields []zhengzhao.FieldError
	f := zhengzhao.LicenseFilter{Page: page(r, &fields)}
	f.HolderID = optString(r, "holder_id", &fields)
	f.Type = optString(r, "type", &fields)
	f.Issuer = optString(r, "issuer", &fields)
	f.Status = optString(r, "status", &fields)
	if f.Status != nil && !slices.Contains(licenseStatuses, *f.Status) {
		fields = append(fields, zhengzhao.FieldError{Field: "status", Message: "must be one of valid, superseded, revoked"})
	}
	if err := invalid("invalid query", fields); err != nil {
		s.error(w, r, err)
		return
	}
	licenses, total, next, err := s.licenses.FindLicenses(r.Context(), f)
	if err != nil {
		s.error(w, r, err)
		return
	}
	s.render(w, r, nethttp.StatusOK, newList(licenses, total, next))
}

// handleUpdateLicense handles PUT /v1/licenses/{id}: it answers with the
// new version, whose URL is in Content-Location.
func (s *Server) handleUpdateLicense(w nethttp.ResponseWriter, r *nethttp.Request) {
	var u zhengzhao.LicenseUpdate
	if err := s.decode(r, (*licenseUpdate)(&u)); err != nil {
		s.error(w, r, err)
		return
	}
	l, err := s.licenses.UpdateLicense(r.Context(), r.PathValue("id"), &u)
	if err != nil {
		s.error(w, r, err)
		return
	}
	w.Header().Set("Content-Location", licensePath(l.ID))
	s.render(w, r, nethttp.StatusOK, l)
}

// handleRevokeLicense handles POST /v1/licenses/{id}/revoke.
func (s *Server) handleRevokeLicense(w nethttp.ResponseWriter, r *nethttp.Request) {
	var req revokeRequest
	if err := s.decode(r, &req); err != nil {
		s.error(w, r, err)
		return
	}
	l, err := s.licenses.RevokeLicense(r.Context(), r.PathValue("id"), req.Reason)
	if err != nil {
		s.error(w, r, err)
		return
	}
	s.render(w, r, nethttp.StatusOK, l)
}
