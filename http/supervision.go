package http

import (
	"bytes"
	nethttp "net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/zhengzhao-project/zhengzhao"
	"github.com/zhengzhao-project/zhengzhao/report"
)

// The supervision area's JSON API: objections (异议) and notices, responsible
// staff, the public catalog, supervision figures, annual reports and
// random checks.

// supervisionService returns the supervision service, or an error when the
// server has none (the area is disabled).
func (s *Server) supervisionService() (zhengzhao.SupervisionService, error) {
	if s.supervision == nil {
		return nil, zhengzhao.Errorf(zhengzhao.ENOTFOUND, "the supervision area is not enabled")
	}
	return s.supervision, nil
}

// objectionRequest is the body of POST /v1/licenses/{id}/objections.
type objectionRequest struct {
	Fields      []string                   `json:"fields"`
	Reason      string                     `json:"reason"`
	Attachments []zhengzhao.Attachment     `json:"attachments"`
	Holder      *zhengzhao.ObjectionHolder `json:"holder"`
}

// handleFileObjection handles POST /v1/licenses/{id}/objections.
func (s *Server) handleFileObjection(w nethttp.ResponseWriter, r *nethttp.Request) {
	svc, err := s.supervisionService()
	if err != nil {
		s.error(w, r, err)
		return
	}
	var req objectionRequest
	if err := s.decode(r, &req); err != nil {
		s.error(w, r, err)
		return
	}
	o, err := svc.FileObjection(r.Context(), &zhengzhao.ObjectionRequest{License: r.PathValue("id"), Fields: req.Fields,
		Reason: req.Reason, Attachments: req.Attachments, Holder: req.Holder})
	if err != nil {
		s.error(w, r, err)
		return
	}
	w.Header().Set("Location", "/v1/objections/"+url.PathEscape(o.ID))
	s.render(w, r, nethttp.StatusCreated, o)
}

// boolParam reads an optional boolean query parameter.
func supervisionBool(r *nethttp.Request, name string, fields *[]zhengzhao.FieldError) bool {
	v := optString(r, name, fields)
	if v == nil {
		return false
	}
	b, err := strconv.ParseBool(*v)
	if err != nil {
		*fields = append(*fields, zhengzhao.FieldError{Field: name, Message: "must be true or false"})
	}
	return b
}

// handleListObjections handles GET /v1/objections.
func (s *Server) handleListObjections(w nethttp.ResponseWriter, r *nethttp.Request) {
	svc, err := s.supervisionService()
	if err != nil {
		s.error(w, r, err)
		return
	}
	var fields []zhengzhao.FieldError
	f := zhengzhao.ObjectionFilter{Page: page(r, &fields), Status: optString(r, "status", &fields), Overdue: supervisionBool(r, "overdue", &fields)}
	if role := optString(r, "role", &fields); role != nil {
		if *role != "issuer" && *role != "filer" {
			fields = append(fields, zhengzhao.FieldError{Field: "role", Message: "must be issuer or filer"})
		}
		f.Role = *role
	}
	if f.Status != nil {
		switch *f.Status {
		case zhengzhao.ObjectionOpen, zhengzhao.ObjectionCorrected, zhengzhao.ObjectionRejected:
		default:
			fields = append(fields, zhengzhao.FieldError{Field: "status", Message: "must be open, corrected or rejected"})
		}
	}
	if id := optString(r, "license", &fields); id != nil {
		base := (&zhengzhao.License{ID: *id}).Base()
		if base == "" {
			fields = append(fields, zhengzhao.FieldError{Field: "license", Message: "must be a license ID"})
		}
		f.LicenseBase = &base
	}
	if err := invalid("invalid query", fields); err != nil {
		s.error(w, r, err)
		return
	}
	os, n, next, err := svc.FindObjections(r.Context(), f)
	if err != nil {
		s.error(w, r, err)
		return
	}
	s.render(w, r, nethttp.StatusOK, newList(os, n, next))
}

// handleGetObjection handles GET /v1/objections/{id}.
func (s *Server) handleGetObjection(w nethttp.ResponseWriter, r *nethttp.Request) {
	svc, err := s.supervisionService()
	if err != nil {
		s.error(w, r, err)
		return
	}
	o, err := svc.FindObjectionByID(r.Context(), r.PathValue("id"))
	if err != nil {
		s.error(w, r, err)
		return
	}
	s.render(w, r, nethttp.StatusOK, o)
}

// answerRequest is the body of POST /v1/objections/{id}/answer.
type answerRequest struct {
	Decision string         `json:"decision"`
	Reason   string         `json:"reason"`
	Update   *licenseUpdate `json:"update"`
}

// handleAnswerObjection handles POST /v1/objections/{id}/answer.
func (s *Server) handleAnswerObjection(w nethttp.ResponseWriter, r *nethttp.Request) {
	svc, err := s.supervisionService()
	if err != nil {
		s.error(w, r, err)
		return
	}
	var req answerRequest
	if err := s.decode(r, &req); err != nil {
		s.error(w, r, err)
		return
	}
	o, err := svc.AnswerObjection(r.Context(), r.PathValue("id"), &zhengzhao.ObjectionAnswer{Decision: req.Decision, Reason: req.Reason,
		Update: (*zhengzhao.LicenseUpdate)(req.Update)})
	if err != nil {
		s.error(w, r, err)
		return
	}
	s.render(w, r, nethttp.StatusOK, o)
}

// handleListNotices handles GET /v1/notices.
func (s *Server) handleListNotices(w nethttp.ResponseWriter, r *nethttp.Request) {
	svc, err := s.supervisionService()
	if err != nil {
		s.error(w, r, err)
		return
	}
	var fields []zhengzhao.FieldError
	f := zhengzhao.NoticeFilter{Page: page(r, &fields), UnreadOnly: supervisionBool(r, "unread", &fields)}
	if err := invalid("invalid query", fields); err != nil {
		s.error(w, r, err)
		return
	}
	ns, n, next, err := svc.FindNotices(r.Context(), f)
	if err != nil {
		s.error(w, r, err)
		return
	}
	s.render(w, r, nethttp.StatusOK, newList(ns, n, next))
}

// handleReadNotice handles POST /v1/notices/{id}/read.
func (s *Server) handleReadNotice(w nethttp.ResponseWriter, r *nethttp.Request) {
	svc, err := s.supervisionService()
	if err != nil {
		s.error(w, r, err)
		return
	}
	n, err := svc.MarkNoticeRead(r.Context(), r.PathValue("id"))
	if err != nil {
		s.error(w, r, err)
		return
	}
	s.render(w, r, nethttp.StatusOK, n)
}

// contactRequest is the body of POST /v1/units/{code}/contacts.
type contactRequest struct {
	Name  string `json:"name"`
	Title string `json:"title"`
	Phone string `json:"phone"`
	Email string `json:"email"`
}

// handleCreateContact handles POST /v1/units/{code}/contacts. The answer
// shows the contact unmasked, once, to the party that recorded it.
func (s *Server) handleCreateContact(w nethttp.ResponseWriter, r *nethttp.Request) {
	svc, err := s.supervisionService()
	if err != nil {
		s.error(w, r, err)
		return
	}
	var req contactRequest
	if err := s.decode(r, &req); err != nil {
		s.error(w, r, err)
		return
	}
	c := &zhengzhao.UnitContact{Unit: r.PathValue("code"), Name: req.Name, Title: req.Title, Phone: req.Phone, Email: req.Email}
	if err := svc.CreateUnitContact(r.Context(), c); err != nil {
		s.error(w, r, err)
		return
	}
	s.render(w, r, nethttp.StatusCreated, c)
}

// handleListContacts handles GET /v1/units/{code}/contacts.
func (s *Server) handleListContacts(w nethttp.ResponseWriter, r *nethttp.Request) {
	svc, err := s.supervisionService()
	if err != nil {
		s.error(w, r, err)
		return
	}
	cs, err := svc.FindUnitContacts(r.Context(), r.PathValue("code"))
	if err != nil {
		s.error(w, r, err)
		return
	}
	s.render(w, r, nethttp.StatusOK, newList(cs, len(cs), ""))
}

// handleDeleteContact handles DELETE /v1/units/{code}/contacts/{id}.
func (s *Server) handleDeleteContact(w nethttp.ResponseWriter, r *nethttp.Request) {
	svc, err := s.supervisionService()
	if err != nil {
		s.error(w, r, err)
		return
	}
	if err := svc.DeleteUnitContact(r.Context(), r.PathValue("code"), r.PathValue("id")); err != nil {
		s.error(w, r, err)
		return
	}
	w.WriteHeader(nethttp.StatusNoContent)
}

// formatParam reads ?format=, one of the allowed values; the first is the
// default.
func formatParam(r *nethttp.Request, fields *[]zhengzhao.FieldError, allowed ...string) string {
	v := optString(r, "format", fields)
	if v == nil {
		return allowed[0]
	}
	for _, a := range allowed {
		if *v == a {
			return a
		}
	}
	*fields = append(*fields, zhengzhao.FieldError{Field: "format", Message: "must be one of " + joinComma(allowed)})
	return allowed[0]
}

func joinComma(ss []string) string {
	var b bytes.Buffer
	for i, s := range ss {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(s)
	}
	return b.String()
}

// download writes a file for download.
func download(w nethttp.ResponseWriter, contentType, filename string, body []byte) {
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("Content-Disposition", "attachment; filename*=UTF-8''"+url.PathEscape(filename))
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(nethttp.StatusOK)
	_, _ = w.Write(body)
}

// handleCatalog handles GET /v1/catalog: the public catalog as JSON or,
// with ?format=csv, as a CSV file.
func (s *Server) handleCatalog(w nethttp.ResponseWriter, r *nethttp.Request) {
	svc, err := s.supervisionService()
	if err != nil {
		s.error(w, r, err)
		return
	}
	var fields []zhengzhao.FieldError
	format := formatParam(r, &fields, "json", "csv")
	if err := invalid("invalid query", fields); err != nil {
		s.error(w, r, err)
		return
	}
	c, err := svc.PublicCatalog(r.Context())
	if err != nil {
		s.error(w, r, err)
		return
	}
	if format == "csv" {
		var b bytes.Buffer
		if err := report.WriteCatalogCSV(&b, c); err != nil {
			s.error(w, r, err)
			return
		}
		download(w, "text/csv; charset=utf-8", "电子证照目录-catalog.csv", b.Bytes())
		return
	}
	s.render(w, r, nethttp.StatusOK, c)
}

// handleSupervise handles GET /v1/supervision.
func (s *Server) handleSupervise(w nethttp.ResponseWriter, r *nethttp.Request) {
	svc, err := s.supervisionService()
	if err != nil {
		s.error(w, r, err)
		return
	}
	var fields []zhengzhao.FieldError
	f := zhengzhao.SupervisionFilter{Unit: optString(r, "unit", &fields)}
	if v := optString(r, "from", &fields); v != nil {
		f.From = *v
	}
	if v := optString(r, "to", &fields); v != nil {
		f.To = *v
	}
	if err := invalid("invalid query", fields); err != nil {
		s.error(w, r, err)
		return
	}
	rep, err := svc.Supervise(r.Context(), f)
	if err != nil {
		s.error(w, r, err)
		return
	}
	s.render(w, r, nethttp.StatusOK, rep)
}

// handleUnitsWithoutContacts handles GET /v1/supervision/units-without-contacts.
func (s *Server) handleUnitsWithoutContacts(w nethttp.ResponseWriter, r *nethttp.Request) {
	svc, err := s.supervisionService()
	if err != nil {
		s.error(w, r, err)
		return
	}
	var fields []zhengzhao.FieldError
	p := page(r, &fields)
	if err := invalid("invalid query", fields); err != nil {
		s.error(w, r, err)
		return
	}
	us, n, next, err := svc.FindUnitsWithoutContacts(r.Context(), p)
	if err != nil {
		s.error(w, r, err)
		return
	}
	for _, u := range us {
		fillUnit(u)
	}
	s.render(w, r, nethttp.StatusOK, newList(us, n, next))
}

// yearParam reads ?year=, by default the current year in China.
func yearParam(r *nethttp.Request, fields *[]zhengzhao.FieldError) int {
	v := optString(r, "year", fields)
	if v == nil {
		return time.Now().In(zhengzhao.ChinaTime).Year()
	}
	y, err := strconv.Atoi(*v)
	if err != nil {
		*fields = append(*fields, zhengzhao.FieldError{Field: "year", Message: "must be a year such as 2026"})
	}
	return y
}

// handleAnnualReport handles GET /v1/supervision/units/{code}/report.
func (s *Server) handleAnnualReport(w nethttp.ResponseWriter, r *nethttp.Request) {
	s.annualReport(w, r, s.error)
}

// annualReport renders a unit's annual report as JSON, CSV or PDF; fail
// renders errors (problem documents for the API, pages for people).
func (s *Server) annualReport(w nethttp.ResponseWriter, r *nethttp.Request, fail func(nethttp.ResponseWriter, *nethttp.Request, error)) {
	svc, err := s.supervisionService()
	if err != nil {
		fail(w, r, err)
		return
	}
	var fields []zhengzhao.FieldError
	year := yearParam(r, &fields)
	format := formatParam(r, &fields, "json", "csv", "pdf")
	if err := invalid("invalid query", fields); err != nil {
		fail(w, r, err)
		return
	}
	rep, err := svc.AnnualReport(r.Context(), r.PathValue("code"), year)
	if err != nil {
		fail(w, r, err)
		return
	}
	name := rep.Unit.Name + "-" + strconv.Itoa(rep.Year) + "-annual-report"
	var b bytes.Buffer
	switch format {
	case "csv":
		if err := report.WriteAnnualCSV(&b, rep); err != nil {
			fail(w, r, err)
			return
		}
		download(w, "text/csv; charset=utf-8", name+".csv", b.Bytes())
	case "pdf":
		if err := report.WriteAnnualPDF(&b, rep, s.font); err != nil {
			fail(w, r, err)
			return
		}
		download(w, "application/pdf", name+".pdf", b.Bytes())
	default:
		s.render(w, r, nethttp.StatusOK, rep)
	}
}

// handleCreateCheck handles POST /v1/supervision/checks.
func (s *Server) handleCreateCheck(w nethttp.ResponseWriter, r *nethttp.Request) {
	svc, err := s.supervisionService()
	if err != nil {
		s.error(w, r, err)
		return
	}
	var req zhengzhao.RandomCheckRequest
	if err := s.decode(r, &req); err != nil {
		s.error(w, r, err)
		return
	}
	c, err := svc.CreateRandomCheck(r.Context(), &req)
	if err != nil {
		s.error(w, r, err)
		return
	}
	w.Header().Set("Location", "/v1/supervision/checks/"+url.PathEscape(c.ID))
	s.render(w, r, nethttp.StatusCreated, c)
}

// handleListChecks handles GET /v1/supervision/checks.
func (s *Server) handleListChecks(w nethttp.ResponseWriter, r *nethttp.Request) {
	svc, err := s.supervisionService()
	if err != nil {
		s.error(w, r, err)
		return
	}
	var fields []zhengzhao.FieldError
	f := zhengzhao.RandomCheckFilter{Page: page(r, &fields), Unit: optString(r, "unit", &fields)}
	if err := invalid("invalid query", fields); err != nil {
		s.error(w, r, err)
		return
	}
	cs, n, next, err := svc.FindRandomChecks(r.Context(), f)
	if err != nil {
		s.error(w, r, err)
		return
	}
	s.render(w, r, nethttp.StatusOK, newList(cs, n, next))
}

// handleGetCheck handles GET /v1/supervision/checks/{id}.
func (s *Server) handleGetCheck(w nethttp.ResponseWriter, r *nethttp.Request) {
	svc, err := s.supervisionService()
	if err != nil {
		s.error(w, r, err)
		return
	}
	c, err := svc.FindRandomCheckByID(r.Context(), r.PathValue("id"))
	if err != nil {
		s.error(w, r, err)
		return
	}
	s.render(w, r, nethttp.StatusOK, c)
}

// handleReviewCheck handles POST /v1/supervision/checks/{id}/items/{item}/review.
func (s *Server) handleReviewCheck(w nethttp.ResponseWriter, r *nethttp.Request) {
	svc, err := s.supervisionService()
	if err != nil {
		s.error(w, r, err)
		return
	}
	item, err := strconv.Atoi(r.PathValue("item"))
	if err != nil || item < 0 {
		s.error(w, r, zhengzhao.Errorf(zhengzhao.ENOTFOUND, "no item %q", r.PathValue("item")))
		return
	}
	var req zhengzhao.CheckReview
	if err := s.decode(r, &req); err != nil {
		s.error(w, r, err)
		return
	}
	c, err := svc.ReviewRandomCheck(r.Context(), r.PathValue("id"), item, &req)
	if err != nil {
		s.error(w, r, err)
		return
	}
	s.render(w, r, nethttp.StatusOK, c)
}
