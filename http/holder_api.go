package http

import (
	"html/template"
	nethttp "net/http"
	"strings"

	"github.com/zhengzhao-project/zhengzhao"
)

// presentationResponse is a presentation with its QR code.
type presentationResponse struct {
	*zhengzhao.Presentation
	// QR is the QR code of URL as a data: URL of a PNG image.
	QR string `json:"qr"`
	// QRVersion is the QR symbol's version (at most 10).
	QRVersion int `json:"qr_version"`
}

// QRImage is QR for an <img src> in a page template.
func (p *presentationResponse) QRImage() template.URL { return dataImageURL(p.QR) }

// absoluteURL makes a path absolute with the configured base URL or, when
// there is none, the request's host.
func (s *Server) absoluteURL(r *nethttp.Request, u string) string {
	if strings.HasPrefix(u, "http://") || strings.HasPrefix(u, "https://") {
		return u
	}
	base := s.holderCfg.BaseURL
	if base == "" {
		scheme := "http"
		if r.TLS != nil {
			scheme = "https"
		}
		base = scheme + "://" + r.Host
	}
	return strings.TrimRight(base, "/") + u
}

// presentation creates a display token and its QR code.
func (s *Server) presentation(r *nethttp.Request, req *zhengzhao.PresentationRequest) (*presentationResponse, error) {
	p, err := s.holders.CreatePresentation(r.Context(), req)
	if err != nil {
		return nil, err
	}
	p.URL = s.absoluteURL(r, p.URL)
	qr, v, err := qrDataURL(p.URL)
	if err != nil {
		return nil, err
	}
	if v > maxQRVersion {
		s.logger.WarnContext(r.Context(), "display QR code above version 10; shorten the base URL", "version", v, "url_bytes", len(p.URL))
	}
	return &presentationResponse{Presentation: p, QR: qr, QRVersion: v}, nil
}

// handleCreatePresentation handles POST /v1/holder/presentations: a
// display token (亮证) for one of the signed-in holder's licenses.
func (s *Server) handleCreatePresentation(w nethttp.ResponseWriter, r *nethttp.Request) {
	var req zhengzhao.PresentationRequest
	if err := s.decode(r, &req); err != nil {
		s.error(w, r, err)
		return
	}
	res, err := s.presentation(r, &req)
	if err != nil {
		s.error(w, r, err)
		return
	}
	s.render(w, r, nethttp.StatusCreated, res)
}

// verifyRequest is the body of POST /v1/presentations/verify.
type verifyRequest struct {
	Token string `json:"token"`
}

// handleVerifyPresentation handles POST /v1/presentations/verify. A
// refused token is a 200 result with reasons; 400 only for a body without
// a token.
func (s *Server) handleVerifyPresentation(w nethttp.ResponseWriter, r *nethttp.Request) {
	var req verifyRequest
	if err := s.decode(r, &req); err != nil {
		s.error(w, r, err)
		return
	}
	req.Token = strings.TrimPrefix(strings.TrimSpace(req.Token), s.absoluteURL(r, "/v/"))
	if req.Token == "" {
		s.error(w, r, invalidBody("token", "required"))
		return
	}
	res, limited, err := s.checkPresentation(w, r, req.Token, false)
	if limited {
		return
	}
	if err != nil {
		s.error(w, r, err)
		return
	}
	// The document promises arrays, empty when a token shows nothing.
	if res.Fields == nil {
		res.Fields = []zhengzhao.DisplayField{}
	}
	if res.Reasons == nil {
		res.Reasons = []string{}
	}
	s.render(w, r, nethttp.StatusOK, res)
}

// handleHolderLicenses handles GET /v1/holder/licenses.
func (s *Server) handleHolderLicenses(w nethttp.ResponseWriter, r *nethttp.Request) {
	var fe []zhengzhao.FieldError
	f := zhengzhao.HolderLicenseFilter{Status: optString(r, "status", &fe), Page: page(r, &fe)}
	if err := invalid("invalid query", fe); err != nil {
		s.error(w, r, err)
		return
	}
	ls, n, next, err := s.holders.FindHolderLicenses(r.Context(), f)
	if err != nil {
		s.error(w, r, err)
		return
	}
	s.render(w, r, nethttp.StatusOK, newList(ls, n, next))
}

// handleHolderLicense handles GET /v1/holder/licenses/{id}.
func (s *Server) handleHolderLicense(w nethttp.ResponseWriter, r *nethttp.Request) {
	hl, err := s.holders.FindHolderLicense(r.Context(), r.PathValue("id"))
	if err != nil {
		s.error(w, r, err)
		return
	}
	s.render(w, r, nethttp.StatusOK, hl)
}

// handleHolderUsage handles GET /v1/holder/licenses/{id}/usage.
func (s *Server) handleHolderUsage(w nethttp.ResponseWriter, r *nethttp.Request) {
	var fe []zhengzhao.FieldError
	p := page(r, &fe)
	if err := invalid("invalid query", fe); err != nil {
		s.error(w, r, err)
		return
	}
	es, n, next, err := s.holders.FindHolderUsage(r.Context(), r.PathValue("id"), p)
	if err != nil {
		s.error(w, r, err)
		return
	}
	s.render(w, r, nethttp.StatusOK, newList(es, n, next))
}

// handleHolderInbox handles GET /v1/holder/inbox.
func (s *Server) handleHolderInbox(w nethttp.ResponseWriter, r *nethttp.Request) {
	var fe []zhengzhao.FieldError
	f := zhengzhao.InboxFilter{Page: page(r, &fe)}
	switch r.URL.Query().Get("unread") {
	case "", "false":
	case "true":
		f.UnreadOnly = true
	default:
		fe = append(fe, zhengzhao.FieldError{Field: "unread", Message: "must be true or false"})
	}
	if err := invalid("invalid query", fe); err != nil {
		s.error(w, r, err)
		return
	}
	ms, n, next, err := s.holders.FindInbox(r.Context(), f)
	if err != nil {
		s.error(w, r, err)
		return
	}
	s.render(w, r, nethttp.StatusOK, newList(ms, n, next))
}

// handleReadInbox handles POST /v1/holder/inbox/{id}/read.
func (s *Server) handleReadInbox(w nethttp.ResponseWriter, r *nethttp.Request) {
	m, err := s.holders.ReadInboxMessage(r.Context(), r.PathValue("id"))
	if err != nil {
		s.error(w, r, err)
		return
	}
	s.render(w, r, nethttp.StatusOK, m)
}

// handleGrantProxy handles POST /v1/proxies: a signed-in holder authorizes
// a proxy, or the administrator records one from a signed form.
func (s *Server) handleGrantProxy(w nethttp.ResponseWriter, r *nethttp.Request) {
	var p zhengzhao.ProxyAuthorization
	if err := s.decode(r, &p); err != nil {
		s.error(w, r, err)
		return
	}
	if hs := sessionFromContext(r.Context()); hs != nil && hs.ActingFor.IsZero() && p.HolderName == "" {
		p.HolderName = hs.Name
	}
	if err := s.holders.GrantProxy(r.Context(), &p); err != nil {
		s.error(w, r, err)
		return
	}
	s.render(w, r, nethttp.StatusCreated, &p)
}

// handleRevokeProxy handles POST /v1/proxies/{id}/revoke.
func (s *Server) handleRevokeProxy(w nethttp.ResponseWriter, r *nethttp.Request) {
	p, err := s.holders.RevokeProxy(r.Context(), r.PathValue("id"))
	if err != nil {
		s.error(w, r, err)
		return
	}
	s.render(w, r, nethttp.StatusOK, p)
}
