package http

import (
	"encoding/json"
	nethttp "net/http"
	"slices"
	"strings"
	"time"

	"github.com/zhengzhao-project/zhengzhao"
)

// The wallet pages (持证人页面) and the verifier page. Every wallet page
// needs a holder session; without one it sends the browser to the
// sign-in page.

// walletPage is what every wallet template receives in Data.
type walletPage struct {
	Session *zhengzhao.HolderSession
	// ActingForName names the holder a proxy acts for.
	ActingForName string
	Data          any
}

// wallet renders a wallet page, or redirects to sign-in.
func (s *Server) wallet(w nethttp.ResponseWriter, r *nethttp.Request, name string, data any) {
	hs := sessionFromContext(r.Context())
	wp := walletPage{Session: hs, Data: data}
	if hs != nil && !hs.ActingFor.IsZero() {
		wp.ActingForName = hs.ActingFor.String()
		if ps, err := s.holders.FindProxies(r.Context(), zhengzhao.ProxyFilter{}); err == nil {
			for _, p := range ps {
				if p.ID == hs.ProxyAuthorization {
					wp.ActingForName = p.HolderName
				}
			}
		}
	}
	s.page(w, r, nethttp.StatusOK, name, wp)
}

// requireSession redirects to the sign-in page when the request has no
// holder session and reports whether it has one.
func requireSession(w nethttp.ResponseWriter, r *nethttp.Request) bool {
	if sessionFromContext(r.Context()) != nil {
		return true
	}
	nethttp.Redirect(w, r, "/wallet/login", nethttp.StatusSeeOther)
	return false
}

// loginPage is the data of the sign-in page.
type loginPage struct {
	OIDC  bool
	Demo  bool
	Demos []zhengzhao.Holder
}

// handleLoginPage handles GET /wallet/login.
func (s *Server) handleLoginPage(w nethttp.ResponseWriter, r *nethttp.Request) {
	d := loginPage{OIDC: s.oidc != nil, Demo: s.holderCfg.Demo}
	if d.Demo {
		hs, err := s.holders.DemoHolders(systemContext(r.Context()), 12)
		if err != nil {
			s.pageError(w, r, err)
			return
		}
		d.Demos = hs
	}
	s.page(w, r, nethttp.StatusOK, "wallet_login", d)
}

// handleDemoLogin handles POST /wallet/login/demo: only with --demo, and
// only for a holder of the demo data.
func (s *Server) handleDemoLogin(w nethttp.ResponseWriter, r *nethttp.Request) {
	if !s.holderCfg.Demo {
		s.pageError(w, r, zhengzhao.Errorf(zhengzhao.ENOTFOUND, "the demo sign-in is only available in a demo library"))
		return
	}
	if err := r.ParseForm(); err != nil {
		s.pageError(w, r, invalidBody("", "a form is required"))
		return
	}
	addr, now := s.limits.clientAddr(r), time.Now()
	if ok, wait := s.limits.admit(addr, "", now); !ok {
		s.tooMany(w, r, wait, true)
		return
	}
	hs, err := s.holders.DemoHolders(systemContext(r.Context()), 1000)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	i := slices.IndexFunc(hs, func(h zhengzhao.Holder) bool { return h.IDType+":"+h.ID == r.PostForm.Get("holder") })
	if i < 0 {
		s.limits.failed(addr, "", now)
		s.pageError(w, r, zhengzhao.Errorf(zhengzhao.EINVALID, "choose a demo holder from the list"))
		return
	}
	h := hs[i]
	if err := s.signIn(w, r, &zhengzhao.HolderSession{Holder: h.Ref(), Name: h.Name, Method: zhengzhao.SignInDemo}); err != nil {
		s.pageError(w, r, err)
		return
	}
	nethttp.Redirect(w, r, "/wallet", nethttp.StatusSeeOther)
}

// handleLogout handles POST /wallet/logout.
func (s *Server) handleLogout(w nethttp.ResponseWriter, r *nethttp.Request) {
	if c, err := r.Cookie(sessionCookie); err == nil {
		_ = s.holders.DeleteHolderSession(r.Context(), c.Value)
	}
	s.clearCookie(w, r, sessionCookie, "/")
	nethttp.Redirect(w, r, "/wallet/login", nethttp.StatusSeeOther)
}

// handleActFor handles POST /wallet/act: a proxy starts or stops acting
// for a holder.
func (s *Server) handleActFor(w nethttp.ResponseWriter, r *nethttp.Request) {
	if !requireSession(w, r) {
		return
	}
	c, _ := r.Cookie(sessionCookie)
	_ = r.ParseForm()
	var h zhengzhao.HolderRef
	if v := r.PostForm.Get("holder"); v != "" {
		h.IDType, h.ID, _ = strings.Cut(v, ":")
	}
	if _, err := s.holders.ActFor(r.Context(), c.Value, h); err != nil {
		s.pageError(w, r, err)
		return
	}
	nethttp.Redirect(w, r, "/wallet", nethttp.StatusSeeOther)
}

// walletHome is the data of the wallet's first page.
type walletHome struct {
	Groups []licenseGroup
	Unread int
}

type licenseGroup struct {
	Status   string
	Licenses []*zhengzhao.License
}

// handleWallet handles GET /wallet: my licenses by status.
func (s *Server) handleWallet(w nethttp.ResponseWriter, r *nethttp.Request) {
	if !requireSession(w, r) {
		return
	}
	ls, _, _, err := s.holders.FindHolderLicenses(r.Context(), zhengzhao.HolderLicenseFilter{Page: zhengzhao.Page{Limit: zhengzhao.MaxPageLimit}})
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	d := walletHome{}
	for _, st := range []string{zhengzhao.StatusValid, zhengzhao.StatusExpired, zhengzhao.StatusRevoked} {
		g := licenseGroup{Status: st}
		for _, l := range ls {
			if l.Status == st {
				g.Licenses = append(g.Licenses, l)
			}
		}
		d.Groups = append(d.Groups, g)
	}
	if _, n, _, err := s.holders.FindInbox(r.Context(), zhengzhao.InboxFilter{UnreadOnly: true, Page: zhengzhao.Page{Limit: 1}}); err == nil {
		d.Unread = n
	}
	s.wallet(w, r, "wallet", d)
}

// fieldRow is one face field with its label.
type fieldRow struct {
	Key, Label, Value string
}

func faceFields(hl *zhengzhao.HolderLicense) []fieldRow {
	var rows []fieldRow
	seen := map[string]bool{}
	if hl.Type != nil {
		for _, f := range hl.Type.Fields {
			if v, ok := hl.License.Fields[f.Key]; ok {
				rows = append(rows, fieldRow{f.Key, f.Label, displayValue(v)})
				seen[f.Key] = true
			}
		}
	}
	for k, v := range hl.License.Fields {
		if !seen[k] {
			rows = append(rows, fieldRow{k, k, displayValue(v)})
		}
	}
	return rows
}

// handleLicensePage handles GET /wallet/licenses/{id}: face fields and
// versions.
func (s *Server) handleLicensePage(w nethttp.ResponseWriter, r *nethttp.Request) {
	if !requireSession(w, r) {
		return
	}
	hl, err := s.holders.FindHolderLicense(r.Context(), r.PathValue("id"))
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	s.wallet(w, r, "wallet_license", struct {
		*zhengzhao.HolderLicense
		Fields   []fieldRow
		CanPrint bool
	}{hl, faceFields(hl), true})
}

// showPage is the data of the 亮证 page.
type showPage struct {
	License *zhengzhao.License
	Choices []fieldRow
	Chosen  map[string]bool
	Shown   string // the chosen keys, comma-separated, for the script
	P       *presentationResponse
	TTL     int
}

// handleShowPage handles GET /wallet/licenses/{id}/show?f=key,key: the
// dynamic QR code. The page's script asks for a new token before the
// current one expires.
func (s *Server) handleShowPage(w nethttp.ResponseWriter, r *nethttp.Request) {
	if !requireSession(w, r) {
		return
	}
	hl, err := s.holders.FindHolderLicense(r.Context(), r.PathValue("id"))
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	choices := append([]fieldRow{{zhengzhao.ShowHolderName, "持证人 Holder", hl.License.Holder.Name}}, faceFields(hl)...)
	choices = append(choices, fieldRow{zhengzhao.ShowValidUntil, "有效期至 Valid until", validUntil(hl.License)})
	var keys []string
	if f := r.URL.Query().Get("f"); f != "" {
		keys = strings.Split(f, ",")
	} else if !r.URL.Query().Has("f") {
		keys = []string{zhengzhao.ShowHolderName} // a sensible default: the name, nothing more
	}
	chosen := map[string]bool{}
	for _, k := range keys {
		chosen[k] = true
	}
	d := showPage{License: hl.License, Choices: choices, Chosen: chosen, Shown: strings.Join(keys, ",")}
	if hl.License.Status == zhengzhao.StatusValid {
		p, err := s.presentation(r, &zhengzhao.PresentationRequest{License: hl.License.ID, Fields: keys})
		if err != nil {
			s.pageError(w, r, err)
			return
		}
		d.P = p
		d.TTL = int(time.Until(p.ExpiresAt).Seconds())
	}
	s.wallet(w, r, "wallet_show", d)
}

func validUntil(l *zhengzhao.License) string {
	if l.ValidUntil == nil {
		return "长期 (no end)"
	}
	return *l.ValidUntil
}

// handleUsagePage handles GET /wallet/licenses/{id}/usage: who read or
// checked the license, when and for what.
func (s *Server) handleUsagePage(w nethttp.ResponseWriter, r *nethttp.Request) {
	if !requireSession(w, r) {
		return
	}
	var fe []zhengzhao.FieldError
	p := page(r, &fe)
	id := r.PathValue("id")
	hl, err := s.holders.FindHolderLicense(r.Context(), id)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	es, n, next, err := s.holders.FindHolderUsage(r.Context(), id, p)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	s.wallet(w, r, "wallet_usage", struct {
		License *zhengzhao.License
		Entries []*zhengzhao.UsageEntry
		Total   int
		Next    string
	}{hl.License, es, n, next})
}

// handleInboxPage handles GET /wallet/inbox.
func (s *Server) handleInboxPage(w nethttp.ResponseWriter, r *nethttp.Request) {
	if !requireSession(w, r) {
		return
	}
	var fe []zhengzhao.FieldError
	ms, n, next, err := s.holders.FindInbox(r.Context(), zhengzhao.InboxFilter{Page: page(r, &fe)})
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	s.wallet(w, r, "wallet_inbox", struct {
		Messages []*zhengzhao.InboxMessage
		Total    int
		Next     string
	}{ms, n, next})
}

// handleInboxMessagePage handles GET /wallet/inbox/{id}: opening a
// message records its reading.
func (s *Server) handleInboxMessagePage(w nethttp.ResponseWriter, r *nethttp.Request) {
	if !requireSession(w, r) {
		return
	}
	m, err := s.holders.ReadInboxMessage(r.Context(), r.PathValue("id"))
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	s.wallet(w, r, "wallet_message", m)
}

// handleProxiesPage handles GET /wallet/proxies: who may act for me, and
// for whom I may act.
func (s *Server) handleProxiesPage(w nethttp.ResponseWriter, r *nethttp.Request) {
	if !requireSession(w, r) {
		return
	}
	hs := sessionFromContext(r.Context())
	ps, err := s.holders.FindProxies(r.Context(), zhengzhao.ProxyFilter{})
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	var given, received []*zhengzhao.ProxyAuthorization
	for _, p := range ps {
		if p.Proxy == hs.Holder {
			received = append(received, p)
		} else {
			given = append(given, p)
		}
	}
	s.wallet(w, r, "wallet_proxies", struct {
		Given, Received []*zhengzhao.ProxyAuthorization
		Now             time.Time
	}{given, received, time.Now()})
}

// handleGrantProxyForm handles POST /wallet/proxies.
func (s *Server) handleGrantProxyForm(w nethttp.ResponseWriter, r *nethttp.Request) {
	if !requireSession(w, r) {
		return
	}
	_ = r.ParseForm()
	hs := sessionFromContext(r.Context())
	p := &zhengzhao.ProxyAuthorization{
		Proxy:     zhengzhao.HolderRef{IDType: zhengzhao.IDTypeResident, ID: strings.ToUpper(strings.TrimSpace(r.PostForm.Get("proxy_id")))},
		ProxyName: r.PostForm.Get("proxy_name"), HolderName: hs.Name, Relation: r.PostForm.Get("relation"), Note: r.PostForm.Get("note"),
	}
	if err := s.holders.GrantProxy(r.Context(), p); err != nil {
		s.pageError(w, r, err)
		return
	}
	nethttp.Redirect(w, r, "/wallet/proxies", nethttp.StatusSeeOther)
}

// handleRevokeProxyForm handles POST /wallet/proxies/{id}/revoke.
func (s *Server) handleRevokeProxyForm(w nethttp.ResponseWriter, r *nethttp.Request) {
	if !requireSession(w, r) {
		return
	}
	if _, err := s.holders.RevokeProxy(r.Context(), r.PathValue("id")); err != nil {
		s.pageError(w, r, err)
		return
	}
	nethttp.Redirect(w, r, "/wallet/proxies", nethttp.StatusSeeOther)
}

// handleVerifierPage handles GET /v/{token}: what a phone camera opens.
// The verdict is unmistakable: a large green "valid" or a red "invalid"
// with the reasons.
func (s *Server) handleVerifierPage(w nethttp.ResponseWriter, r *nethttp.Request) {
	res, limited, err := s.checkPresentation(w, r, r.PathValue("token"), true)
	if limited {
		return
	}
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer") // the token is in the URL
	s.page(w, r, nethttp.StatusOK, "verifier", res)
}

// displayValue renders a face-field value for people.
func displayValue(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return v
	case bool:
		if v {
			return "是"
		}
		return "否"
	case interface{ String() string }:
		return v.String()
	}
	b, _ := json.Marshal(v)
	return string(b)
}
