package http

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"html"
	"html/template"
	nethttp "net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/zhengzhao-project/zhengzhao"
	"github.com/zhengzhao-project/zhengzhao/report"
)

// Pages of the supervision area: the public catalog (/catalog) and the
// administrator's supervision dashboard (/supervision), which the
// administrator opens by signing in with the admin token once. The sign-in
// sets an opaque session cookie (HttpOnly, SameSite=Strict, Secure on
// TLS) whose SHA-256 is kept in the server's memory for 8 hours: after a
// restart, or on another server of a cluster, the administrator signs in
// again. The cookie is read only by the /supervision pages, never by the
// JSON API, so it cannot be used for cross-site requests to the API.

const (
	adminCookie     = "zz_admin"
	adminSessionTTL = 8 * time.Hour
)

// adminSessions holds the administrator's page sessions.
type adminSessions struct {
	mu sync.Mutex
	m  map[[sha256.Size]byte]time.Time // SHA-256 of the secret → expiry
}

func (a *adminSessions) create(now time.Time) string {
	raw := make([]byte, 32)
	_, _ = rand.Read(raw)
	secret := base64.RawURLEncoding.EncodeToString(raw)
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.m == nil {
		a.m = map[[sha256.Size]byte]time.Time{}
	}
	for k, exp := range a.m { // forget expired sessions
		if now.After(exp) {
			delete(a.m, k)
		}
	}
	a.m[sha256.Sum256([]byte(secret))] = now.Add(adminSessionTTL)
	return secret
}

func (a *adminSessions) valid(secret string, now time.Time) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	exp, ok := a.m[sha256.Sum256([]byte(secret))]
	return ok && now.Before(exp)
}

func (a *adminSessions) delete(secret string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	delete(a.m, sha256.Sum256([]byte(secret)))
}

// adminPage returns the request with the administrator as its actor when
// it carries a valid session cookie.
func (s *Server) adminPage(r *nethttp.Request) (*nethttp.Request, bool) {
	c, err := r.Cookie(adminCookie)
	if err != nil || !s.hasAdmin || !s.adminSessions.valid(c.Value, time.Now()) {
		return r, false
	}
	if info := infoFromContext(r.Context()); info != nil {
		info.actor = zhengzhao.Actor{Kind: zhengzhao.ActorAdmin}.ID() // for the request log
	}
	return r.WithContext(zhengzhao.NewContextWithActor(r.Context(), zhengzhao.Actor{Kind: zhengzhao.ActorAdmin})), true
}

// handleSupervisionLoginPage serves the sign-in form.
func (s *Server) handleSupervisionLoginPage(w nethttp.ResponseWriter, r *nethttp.Request) {
	s.page(w, r, nethttp.StatusOK, "supervision_login", adminLoginPage{})
}

type adminLoginPage struct{ Failed bool }

// handleSupervisionLogin checks the admin token from the form and starts a
// session.
func (s *Server) handleSupervisionLogin(w nethttp.ResponseWriter, r *nethttp.Request) {
	if err := r.ParseForm(); err != nil {
		s.pageError(w, r, zhengzhao.Errorf(zhengzhao.EINVALID, "cannot read the form"))
		return
	}
	addr, cred, now := s.limits.clientAddr(r), s.limits.credential("admin", ""), time.Now()
	if ok, wait := s.limits.admit(addr, cred, now); !ok {
		s.tooMany(w, r, wait, true)
		return
	}
	h := sha256.Sum256([]byte(r.PostForm.Get("token")))
	if !s.hasAdmin || subtle.ConstantTimeCompare(h[:], s.adminHash[:]) != 1 {
		s.limits.failed(addr, cred, now)
		s.logger.WarnContext(r.Context(), "supervision sign-in refused")
		s.page(w, r, nethttp.StatusUnauthorized, "supervision_login", adminLoginPage{Failed: true})
		return
	}
	nethttp.SetCookie(w, &nethttp.Cookie{Name: adminCookie, Value: s.adminSessions.create(time.Now()), Path: "/supervision",
		MaxAge: int(adminSessionTTL.Seconds()), HttpOnly: true, Secure: s.secure(r), SameSite: nethttp.SameSiteStrictMode})
	s.limits.succeeded(addr, cred, now)
	nethttp.Redirect(w, r, "/supervision", nethttp.StatusSeeOther)
}

// handleSupervisionLogout ends the session.
func (s *Server) handleSupervisionLogout(w nethttp.ResponseWriter, r *nethttp.Request) {
	if c, err := r.Cookie(adminCookie); err == nil {
		s.adminSessions.delete(c.Value)
	}
	nethttp.SetCookie(w, &nethttp.Cookie{Name: adminCookie, Value: "", Path: "/supervision", MaxAge: -1, HttpOnly: true,
		Secure: s.secure(r), SameSite: nethttp.SameSiteStrictMode})
	nethttp.Redirect(w, r, "/supervision/login", nethttp.StatusSeeOther)
}

// catalogPage is the data of /catalog.
type catalogPage struct {
	Catalog *zhengzhao.PublicCatalog
}

// handleCatalogPage serves the public catalog (art. 7).
func (s *Server) handleCatalogPage(w nethttp.ResponseWriter, r *nethttp.Request) {
	svc, err := s.supervisionService()
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	c, err := svc.PublicCatalog(r.Context())
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	s.page(w, r, nethttp.StatusOK, "catalog", catalogPage{Catalog: c})
}

// dashboardPage is the data of /supervision.
type dashboardPage struct {
	Report   *zhengzhao.SupervisionReport
	Year     int
	Chart    template.HTML
	ObjChart template.HTML
	Overdue  []*zhengzhao.Objection
	NOverdue int
	Without  []*zhengzhao.Unit
	Checks   []*zhengzhao.RandomCheck
}

// handleSupervisionPage serves the administrator's dashboard.
func (s *Server) handleSupervisionPage(w nethttp.ResponseWriter, r *nethttp.Request) {
	r, ok := s.adminPage(r)
	if !ok {
		nethttp.Redirect(w, r, "/supervision/login", nethttp.StatusSeeOther)
		return
	}
	svc, err := s.supervisionService()
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	q := r.URL.Query()
	rep, err := svc.Supervise(r.Context(), zhengzhao.SupervisionFilter{From: q.Get("from"), To: q.Get("to")})
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	d := dashboardPage{Report: rep}
	d.Year, _ = strconv.Atoi(rep.To[:4])
	lang := pageLang(w, r)
	en := lang == LangEN
	d.Chart = barChart(rep.Series, []barSeries{
		{pick(en, "发证", "Issued"), "#b3261e", func(p zhengzhao.SeriesPoint) int64 { return p.Issued }},
		{pick(en, "用证", "Used"), "#0b57d0", func(p zhengzhao.SeriesPoint) int64 { return p.Used }},
	}, pick(en, "发证与用证", "Licenses issued and used"), 720)
	d.ObjChart = barChart(rep.Series, []barSeries{
		{pick(en, "异议", "Objections"), "#8a5a00", func(p zhengzhao.SeriesPoint) int64 { return p.Objections }},
	}, pick(en, "收到的异议", "Objections filed"), 440)
	if d.Overdue, d.NOverdue, _, err = svc.FindObjections(r.Context(), zhengzhao.ObjectionFilter{Overdue: true, Page: zhengzhao.Page{Limit: 20}}); err != nil {
		s.pageError(w, r, err)
		return
	}
	if d.Without, _, _, err = svc.FindUnitsWithoutContacts(r.Context(), zhengzhao.Page{Limit: 50}); err != nil {
		s.pageError(w, r, err)
		return
	}
	if d.Checks, _, _, err = svc.FindRandomChecks(r.Context(), zhengzhao.RandomCheckFilter{Page: zhengzhao.Page{Limit: 10}}); err != nil {
		s.pageError(w, r, err)
		return
	}
	s.page(w, r, nethttp.StatusOK, "supervision", d)
}

func pick(en bool, zh, eng string) string {
	if en {
		return eng
	}
	return zh
}

// handleSupervisionReportDownload serves a unit's annual report to the
// signed-in administrator.
func (s *Server) handleSupervisionReportDownload(w nethttp.ResponseWriter, r *nethttp.Request) {
	r, ok := s.adminPage(r)
	if !ok {
		nethttp.Redirect(w, r, "/supervision/login", nethttp.StatusSeeOther)
		return
	}
	s.annualReport(w, r, s.pageError)
}

// barSeries is one colour of bars in a chart.
type barSeries struct {
	Name  string
	Color string
	Value func(zhengzhao.SeriesPoint) int64
}

// barChart renders a grouped bar chart as inline SVG, drawn on the server
// so that the pages need no script. Colours are attributes, not styles,
// which the pages' Content-Security-Policy would block.
func barChart(points []zhengzhao.SeriesPoint, series []barSeries, title string, width float64) template.HTML {
	const (
		height      = 240.0
		left, right = 44.0, 8.0
		top, bottom = 28.0, 28.0
	)
	var peak int64 = 1
	for _, p := range points {
		for _, sr := range series {
			peak = max(peak, sr.Value(p))
		}
	}
	peak = niceCeil(peak)
	plotW, plotH := width-left-right, height-top-bottom
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart" viewBox="0 0 %.0f %.0f" role="img" aria-label="%s" xmlns="http://www.w3.org/2000/svg">`, width, height, html.EscapeString(title))
	fmt.Fprintf(&b, `<title>%s</title>`, html.EscapeString(title))
	for i := 0; i <= 4; i++ { // grid lines and scale
		y := top + plotH - plotH*float64(i)/4
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#e4e1d8" stroke-width="1"/>`, left, y, width-right, y)
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" font-size="11" fill="#5a5a5a" text-anchor="end">%d</text>`, left-6, y+4, peak*int64(i)/4)
	}
	slot := plotW / float64(max(len(points), 1))
	barW := slot * 0.8 / float64(len(series))
	labelEvery := max(1, len(points)*32/int(width))
	for i, p := range points {
		x0 := left + float64(i)*slot + slot*0.1
		for j, sr := range series {
			v := sr.Value(p)
			h := plotH * float64(v) / float64(peak)
			fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s" rx="1.5"><title>%s %s: %d</title></rect>`,
				x0+float64(j)*barW, top+plotH-h, max(barW-1, 1), h, sr.Color, html.EscapeString(p.Period), html.EscapeString(sr.Name), v)
		}
		if i%labelEvery == 0 {
			label := p.Period
			if len(label) == 7 { // a month: show MM
				label = label[5:]
			} else if len(label) == 10 {
				label = label[5:]
			}
			fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" font-size="11" fill="#5a5a5a" text-anchor="middle">%s</text>`,
				left+float64(i)*slot+slot/2, height-bottom+16, html.EscapeString(label))
		}
	}
	x := left
	for _, sr := range series { // legend
		fmt.Fprintf(&b, `<rect x="%.1f" y="8" width="12" height="12" fill="%s" rx="2"/>`, x, sr.Color)
		fmt.Fprintf(&b, `<text x="%.1f" y="18" font-size="12" fill="#1a1a1a">%s</text>`, x+16, html.EscapeString(sr.Name))
		x += 24 + 13*float64(len([]rune(sr.Name)))
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String()) // every text above is escaped
}

// niceCeil rounds n up to 1, 2 or 5 times a power of ten, so that the
// scale's quarters are round numbers.
func niceCeil(n int64) int64 {
	for p := int64(1); ; p *= 10 {
		for _, m := range []int64{1, 2, 4, 5, 8} {
			if m*p >= n {
				return m * p
			}
		}
	}
}

var supervisionFuncs = template.FuncMap{
	"levelName": report.LevelName,
	"pct":       func(f float64) string { return strconv.FormatFloat(f*100, 'f', 1, 64) + "%" },
	"dec":       func(f float64) string { return strconv.FormatFloat(f, 'f', 1, 64) },
	"cst":       func(t time.Time) string { return t.In(zhengzhao.ChinaTime).Format("2006-01-02 15:04") },
	"roleNames": func(rs []zhengzhao.Role) string {
		names := map[zhengzhao.Role]string{zhengzhao.RoleIssuer: "发证", zhengzhao.RoleUser: "用证", zhengzhao.RoleSocial: "社会化"}
		var out []string
		for _, r := range rs {
			out = append(out, names[r])
		}
		return strings.Join(out, "·")
	},
}

func init() {
	for name, f := range supervisionFuncs {
		pageFuncs[name] = f
	}
}
