package http

import (
	"encoding/json"
	"log/slog"
	nethttp "net/http"

	"github.com/zhengzhao-project/zhengzhao"
)

// codeMethodNotAllowed is a transport-only error code: the path exists but
// not with the request's method. It never comes from a service.
const codeMethodNotAllowed = "method_not_allowed"

// errorStatus is the one map from error code to HTTP status. Every EINVALID
// error is 400, whether the request is malformed JSON or breaks a rule of
// the domain (422 is not used), so that a client checks one status and
// reads the errors member for the fields.
var errorStatus = map[string]int{
	zhengzhao.EINVALID:         nethttp.StatusBadRequest,
	zhengzhao.ENOTFOUND:        nethttp.StatusNotFound,
	zhengzhao.ECONFLICT:        nethttp.StatusConflict,
	zhengzhao.EUNAUTHENTICATED: nethttp.StatusUnauthorized,
	zhengzhao.EFORBIDDEN:       nethttp.StatusForbidden,
	zhengzhao.ETOOLARGE:        nethttp.StatusRequestEntityTooLarge,
	zhengzhao.EINTERNAL:        nethttp.StatusInternalServerError,
	zhengzhao.EUNAVAILABLE:     nethttp.StatusServiceUnavailable,
	codeMethodNotAllowed:       nethttp.StatusMethodNotAllowed,
	codeTooManyRequests:        nethttp.StatusTooManyRequests,
}

// Problem is an RFC 9457 problem document with Zhengzhao's extension
// members: the machine-readable code, the bad fields of an invalid
// request, and the request ID to quote to an operator.
type Problem struct {
	Type      string                 `json:"type"`
	Title     string                 `json:"title"`
	Status    int                    `json:"status"`
	Detail    string                 `json:"detail"`
	Code      string                 `json:"code"`
	Errors    []zhengzhao.FieldError `json:"errors,omitempty"`
	RequestID string                 `json:"request_id,omitempty"`
}

// error renders err as a problem document. A forbidden answer to an
// anonymous request becomes 401: the caller should first say who it is,
// and the message says how.
func (s *Server) error(w nethttp.ResponseWriter, r *nethttp.Request, err error) {
	code := zhengzhao.ErrorCode(err)
	message := zhengzhao.ErrorMessage(err)
	_, credential := r.Header["Authorization"]
	if (code == zhengzhao.EFORBIDDEN || code == zhengzhao.EUNAUTHENTICATED) && !credential &&
		zhengzhao.ActorFromContext(r.Context()).Kind == zhengzhao.ActorAnonymous {
		code, message = zhengzhao.EUNAUTHENTICATED, msgNoCredential
	}
	s.problem(w, r, err, code, message)
}

// problem writes the problem document for err with the given code and
// message. An internal error is logged with its full text and shown with a
// generic message only.
func (s *Server) problem(w nethttp.ResponseWriter, r *nethttp.Request, err error, code, message string) {
	status, known := errorStatus[code]
	if !known {
		// A code this server does not know is a bug somewhere: treat it
		// as internal so that its message is not shown.
		code, message, status = zhengzhao.EINTERNAL, "internal error", nethttp.StatusInternalServerError
	}
	if code == zhengzhao.EINTERNAL {
		message = "internal error"
	}
	if err == nil {
		err = zhengzhao.Errorf(code, "%s", message)
	}
	id := RequestIDFromContext(r.Context())
	switch code {
	case zhengzhao.EINTERNAL:
		s.logger.LogAttrs(r.Context(), slog.LevelError, "internal error",
			slog.String("request_id", id), slog.String("method", r.Method),
			slog.String("path", r.URL.Path), slog.String("error", err.Error()))
	case zhengzhao.EUNAVAILABLE:
		s.logger.LogAttrs(r.Context(), slog.LevelWarn, "service unavailable",
			slog.String("request_id", id), slog.String("error", err.Error()))
	}
	p := Problem{
		Type:      "about:blank",
		Title:     nethttp.StatusText(status),
		Status:    status,
		Detail:    message,
		Code:      code,
		RequestID: id,
	}
	if code == zhengzhao.EINVALID {
		p.Errors = zhengzhao.ErrorFields(err)
	}
	h := w.Header()
	switch code {
	case zhengzhao.EUNAUTHENTICATED:
		if _, sent := r.Header["Authorization"]; sent {
			h.Set("WWW-Authenticate", `Bearer realm="zhengzhao", error="invalid_token"`)
		} else {
			h.Set("WWW-Authenticate", `Bearer realm="zhengzhao"`)
		}
	case zhengzhao.EUNAVAILABLE:
		h.Set("Retry-After", "5")
	}
	if code == zhengzhao.ETOOLARGE {
		// The rest of the body is not read; do not reuse the connection.
		h.Set("Connection", "close")
	}
	h.Del("Content-Length")
	h.Set("Content-Type", "application/problem+json")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(p)
}
