package http_test

import (
	"net/http"
	"strings"
	"testing"
)

func TestHomePageLanguages(t *testing.T) {
	s := MustOpenServer(t)
	zh := s.Do(t, request{method: "GET", path: "/"})
	if zh.Code != http.StatusOK || !strings.Contains(zh.Body.String(), "电子证照库") || !strings.HasPrefix(zh.Header().Get("Content-Type"), "text/html") {
		t.Fatalf("home (zh): %d %s", zh.Code, zh.Body.String())
	}
	en := s.Do(t, request{method: "GET", path: "/?lang=en"})
	if !strings.Contains(en.Body.String(), "Electronic license library") || !strings.Contains(en.Header().Get("Set-Cookie"), "lang=en") {
		t.Fatalf("home (en): %s", en.Body.String())
	}
	accept := s.Do(t, request{method: "GET", path: "/", header: http.Header{"Accept-Language": {"en-GB,en;q=0.9"}}})
	if !strings.Contains(accept.Body.String(), `lang="en"`) {
		t.Fatalf("Accept-Language en ignored")
	}
	css := s.Do(t, request{method: "GET", path: "/static/style.css"})
	if css.Code != http.StatusOK || !strings.HasPrefix(css.Header().Get("Content-Type"), "text/css") {
		t.Fatalf("style.css: %d %q", css.Code, css.Header().Get("Content-Type"))
	}
	if s.Do(t, request{method: "GET", path: "/static/nothing.css"}).Code != http.StatusNotFound {
		t.Fatal("missing static file is not 404")
	}
}
