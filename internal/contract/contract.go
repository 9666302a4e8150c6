// Package contract checks HTTP responses against the OpenAPI document the
// server serves, with kin-openapi's openapi3filter, so that any drift
// between the code and the document fails a test. The http/ tests wrap the
// server's handler with Handler; the cmd/zhengzhao end-to-end tests wrap
// http.DefaultTransport with Transport. Only tests import it.
package contract

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"
)

func init() {
	// Binary and text formats the API serves besides JSON: their bodies are
	// checked for content type only.
	// CSV reports have sections of differing widths, which the strict CSV
	// decoder of openapi3filter refuses; their schema is a string.
	for _, ct := range []string{"application/pdf", "application/x-pem-file", "image/png", "text/csv"} {
		openapi3filter.RegisterBodyDecoder(ct, openapi3filter.FileBodyDecoder)
	}
}

// Validator checks responses against one OpenAPI document.
type Validator struct {
	doc    *openapi3.T
	router routers.Router
}

// New parses and validates the OpenAPI document.
func New(document []byte) (*Validator, error) {
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(document)
	if err != nil {
		return nil, fmt.Errorf("load openapi document: %w", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		return nil, fmt.Errorf("openapi document: %w", err)
	}
	// Match paths on any host: tests serve on httptest's example.com and on
	// random loopback ports.
	doc.Servers = nil
	router, err := legacy.NewRouter(doc)
	if err != nil {
		return nil, fmt.Errorf("openapi router: %w", err)
	}
	return &Validator{doc: doc, router: router}, nil
}

var (
	defaultOnce sync.Once
	defaultV    *Validator
	defaultErr  error
)

// Default returns a Validator of document, parsed once per process.
func Default(document []byte) (*Validator, error) {
	defaultOnce.Do(func() { defaultV, defaultErr = New(document) })
	return defaultV, defaultErr
}

// ErrUndocumented reports a request for an API path (under /v1/) that the
// document does not describe.
var ErrUndocumented = errors.New("path and method not in the openapi document")

// Check validates one response to req: its status must be declared for
// the operation, its declared headers present and well-formed, its
// content type declared and its body valid against the schema. Requests
// outside the API (HTML pages, the OIDC provider of tests) are not
// checked; an API request (/v1/…) with no operation is checked only when
// its answer is not 404 or 405, which the document promises for unknown
// paths and methods.
func (v *Validator) Check(req *http.Request, status int, header http.Header, body []byte) error {
	route, params, err := v.router.FindRoute(req)
	if err != nil {
		if strings.HasPrefix(req.URL.Path, "/v1/") && status != http.StatusNotFound && status != http.StatusMethodNotAllowed {
			return fmt.Errorf("%s %s: %w", req.Method, req.URL.Path, ErrUndocumented)
		}
		return nil
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{
			Request:    req,
			PathParams: params,
			Route:      route,
		},
		Status: status,
		Header: header,
		Options: &openapi3filter.Options{
			IncludeResponseStatus: true,
			MultiError:            true,
		},
	}
	in.SetBodyBytes(body)
	if err := openapi3filter.ValidateResponse(req.Context(), in); err != nil {
		return fmt.Errorf("%s %s → %d: response does not match the openapi document: %w; body %s", req.Method, req.URL.RequestURI(), status, err, body)
	}
	return nil
}

// Handler wraps h: every response is recorded, checked, and passed on
// unchanged; report receives each mismatch.
func (v *Validator) Handler(h http.Handler, report func(error)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		if err := v.Check(r, rec.Code, rec.Header(), rec.Body.Bytes()); err != nil {
			report(err)
		}
		for k, vs := range rec.Header() {
			w.Header()[k] = vs
		}
		w.WriteHeader(rec.Code)
		w.Write(rec.Body.Bytes())
	})
}

// Transport returns a RoundTripper that checks every response that next
// returns; a mismatch becomes the round trip's error, so the test's
// request fails with it.
func (v *Validator) Transport(next http.RoundTripper) http.RoundTripper {
	return transport{v, next}
}

type transport struct {
	v    *Validator
	next http.RoundTripper
}

func (t transport) RoundTrip(req *http.Request) (*http.Response, error) {
	res, err := t.next.RoundTrip(req)
	if err != nil || res.Header.Get("Upgrade") != "" {
		return res, err
	}
	// Streams (server-sent events) are passed through unchecked.
	if strings.HasPrefix(res.Header.Get("Content-Type"), "text/event-stream") {
		return res, nil
	}
	body, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil {
		return nil, err
	}
	res.Body = io.NopCloser(bytes.NewReader(body))
	if err := t.v.Check(req, res.StatusCode, res.Header, body); err != nil {
		return nil, err
	}
	return res, nil
}
