package http

import (
	"bytes"
	"embed"
	"html/template"
	"io/fs"
	nethttp "net/http"
	"strings"
	"sync"

	"github.com/zhengzhao-project/zhengzhao"
)

// Pages for people (the wallet, the verifier, the public catalog, the
// dashboards) share one layout: Chinese first with an English switch,
// phone-first, keyboard and screen-reader friendly. A page is a template
// file html/<name>.html that defines "title" and "content"; it is rendered
// inside html/layout.html.

//go:embed html/*.html html/static/*
var pageFS embed.FS

// Languages of the pages.
const (
	LangZH = "zh"
	LangEN = "en"
)

// Page is what every page template receives.
type Page struct {
	// Lang is "zh" or "en"; EN is true for English.
	Lang string
	EN   bool
	// Path is the request path, for the language switch links.
	Path string
	// Data is the page's own data.
	Data any
}

// T picks the text of the page's language: {{.T "中文" "English"}}.
func (p Page) T(zh, en string) string {
	if p.EN {
		return en
	}
	return zh
}

var (
	pagesOnce sync.Once
	pages     map[string]*template.Template
	pagesErr  error
)

// loadPages parses every page with the layout once.
func loadPages() (map[string]*template.Template, error) {
	pagesOnce.Do(func() {
		pages = map[string]*template.Template{}
		names, _ := fs.Glob(pageFS, "html/*.html")
		// Files named _*.html hold partial templates shared by every page.
		partials, _ := fs.Glob(pageFS, "html/_*.html")
		for _, name := range names {
			if name == "html/layout.html" || strings.HasPrefix(name, "html/_") {
				continue
			}
			files := append(append([]string{"html/layout.html"}, partials...), name)
			t, err := template.New("layout.html").Funcs(pageFuncs).ParseFS(pageFS, files...)
			if err != nil {
				pagesErr = err
				return
			}
			pages[strings.TrimSuffix(strings.TrimPrefix(name, "html/"), ".html")] = t
		}
	})
	return pages, pagesErr
}

var pageFuncs = template.FuncMap{
	"join": strings.Join,
}

// pageLang chooses the page language: ?lang= (remembered in a cookie), the
// cookie, then Accept-Language; Chinese by default.
func pageLang(w nethttp.ResponseWriter, r *nethttp.Request) string {
	if l := r.URL.Query().Get("lang"); l == LangZH || l == LangEN {
		nethttp.SetCookie(w, &nethttp.Cookie{Name: "lang", Value: l, Path: "/", MaxAge: 365 * 24 * 3600, Secure: secureRequest(r), SameSite: nethttp.SameSiteLaxMode})
		return l
	}
	if c, err := r.Cookie("lang"); err == nil && (c.Value == LangZH || c.Value == LangEN) {
		return c.Value
	}
	for _, part := range strings.Split(r.Header.Get("Accept-Language"), ",") {
		tag := strings.ToLower(strings.TrimSpace(strings.SplitN(part, ";", 2)[0]))
		switch {
		case strings.HasPrefix(tag, "zh"):
			return LangZH
		case strings.HasPrefix(tag, "en"):
			return LangEN
		}
	}
	return LangZH
}

// page renders the named page with data and the given status.
func (s *Server) page(w nethttp.ResponseWriter, r *nethttp.Request, status int, name string, data any) {
	ts, err := loadPages()
	t := ts[name]
	if err == nil && t == nil {
		err = zhengzhao.Errorf(zhengzhao.EINTERNAL, "no page %q", name)
	}
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	lang := pageLang(w, r)
	var buf bytes.Buffer
	if err := t.Execute(&buf, Page{Lang: lang, EN: lang == LangEN, Path: r.URL.Path, Data: data}); err != nil {
		s.logger.ErrorContext(r.Context(), "render page", "page", name, "err", err)
		nethttp.Error(w, "internal error", nethttp.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// errorPage is the data of the error page.
type errorPage struct {
	Status  int
	Code    string
	Message string
}

// pageError renders err as an HTML error page with the status its code
// maps to; internal details stay in the log.
func (s *Server) pageError(w nethttp.ResponseWriter, r *nethttp.Request, err error) {
	code := zhengzhao.ErrorCode(err)
	status, ok := errorStatus[code]
	if !ok || code == zhengzhao.EINTERNAL {
		code, status = zhengzhao.EINTERNAL, nethttp.StatusInternalServerError
		s.logger.ErrorContext(r.Context(), "page", "path", logPath(r.URL.Path), "err", err)
	}
	msg := zhengzhao.ErrorMessage(err)
	if ts, perr := loadPages(); perr == nil && ts["error"] != nil && !strings.Contains(err.Error(), "no page \"error\"") {
		s.page(w, r, status, "error", errorPage{Status: status, Code: code, Message: msg})
		return
	}
	nethttp.Error(w, msg, status)
}

// pageRoutes are the shared page endpoints: static files and the home page.
func (s *Server) pageRoutes() []route {
	return []route{
		{method: "GET", path: "/static/{file}", page: true, handler: s.handleStatic},
		{method: "GET", path: "/{$}", page: true, query: []string{"lang"}, handler: s.handleHome},
	}
}

// handleStatic serves the pages' style sheet and scripts.
func (s *Server) handleStatic(w nethttp.ResponseWriter, r *nethttp.Request) {
	name := r.PathValue("file")
	b, err := fs.ReadFile(pageFS, "html/static/"+name)
	if err != nil || strings.Contains(name, "/") {
		s.pageError(w, r, zhengzhao.Errorf(zhengzhao.ENOTFOUND, "no such file"))
		return
	}
	switch {
	case strings.HasSuffix(name, ".css"):
		w.Header().Set("Content-Type", "text/css; charset=utf-8")
	case strings.HasSuffix(name, ".js"):
		w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
	}
	w.Header().Set("Cache-Control", "public, max-age=3600")
	w.Write(b)
}

// handleHome serves the home page: what the library is and where to go.
func (s *Server) handleHome(w nethttp.ResponseWriter, r *nethttp.Request) {
	s.page(w, r, nethttp.StatusOK, "home", nil)
}
