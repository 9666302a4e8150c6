package http

import (
	nethttp "net/http"

	"github.com/zhengzhao-project/zhengzhao"
)

// holderRoutes are the endpoints of the holder area: sign-in, inbox,
// wallet, display tokens, verifier, printable copies, proxies (issue 4).
// The /v1/holder API and the /wallet pages act for the holder of the
// session cookie; /v/{token} and POST /v1/presentations/verify are for
// anyone who scans a QR code.
func (s *Server) holderRoutes() []route {
	lang := []string{"lang"}
	rs := []route{
		{method: "POST", path: "/v1/presentations/verify", handler: s.handleVerifyPresentation},
		{method: "POST", path: "/v1/holder/presentations", auth: true, handler: s.handleCreatePresentation},
		{method: "GET", path: "/v1/holder/licenses", auth: true, query: withPage("status"), handler: s.handleHolderLicenses},
		{method: "GET", path: "/v1/holder/licenses/{id}", auth: true, handler: s.handleHolderLicense},
		{method: "GET", path: "/v1/holder/licenses/{id}/usage", auth: true, query: withPage(), handler: s.handleHolderUsage},
		{method: "GET", path: "/v1/holder/inbox", auth: true, query: withPage("unread"), handler: s.handleHolderInbox},
		{method: "POST", path: "/v1/holder/inbox/{id}/read", auth: true, handler: s.handleReadInbox},
		{method: "POST", path: "/v1/proxies", auth: true, handler: s.handleGrantProxy},
		{method: "POST", path: "/v1/proxies/{id}/revoke", auth: true, handler: s.handleRevokeProxy},

		{method: "GET", path: "/v/{token}", page: true, query: lang, handler: s.handleVerifierPage},
		{method: "GET", path: "/wallet", page: true, query: withPage("lang", "status"), handler: s.handleWallet},
		{method: "GET", path: "/wallet/login", page: true, query: lang, handler: s.handleLoginPage},
		{method: "GET", path: "/wallet/login/oidc", page: true, handler: s.handleOIDCLogin},
		{method: "GET", path: "/wallet/callback", page: true, query: []string{"code", "state", "error", "error_description", "iss", "session_state"}, handler: s.handleOIDCCallback},
		{method: "POST", path: "/wallet/login/demo", page: true, handler: s.handleDemoLogin},
		{method: "POST", path: "/wallet/logout", page: true, handler: s.handleLogout},
		{method: "POST", path: "/wallet/act", page: true, handler: s.handleActFor},
		{method: "GET", path: "/wallet/licenses/{id}", page: true, query: lang, handler: s.handleLicensePage},
		{method: "GET", path: "/wallet/licenses/{id}/show", page: true, query: []string{"lang", "f"}, handler: s.handleShowPage},
		{method: "GET", path: "/wallet/licenses/{id}/usage", page: true, query: withPage("lang"), handler: s.handleUsagePage},
		{method: "GET", path: "/wallet/licenses/{id}/print", page: true, handler: s.handlePrint},
		{method: "GET", path: "/wallet/inbox", page: true, query: withPage("lang"), handler: s.handleInboxPage},
		{method: "GET", path: "/wallet/inbox/{id}", page: true, query: lang, handler: s.handleInboxMessagePage},
		{method: "GET", path: "/wallet/proxies", page: true, query: lang, handler: s.handleProxiesPage},
		{method: "POST", path: "/wallet/proxies", page: true, handler: s.handleGrantProxyForm},
		{method: "POST", path: "/wallet/proxies/{id}/revoke", page: true, handler: s.handleRevokeProxyForm},
	}
	if s.holders == nil {
		// The routes stay (the API document describes them); they answer
		// 404 until a holder service is configured.
		for i := range rs {
			rs[i].handler = func(w nethttp.ResponseWriter, r *nethttp.Request) {
				s.error(w, r, zhengzhao.Errorf(zhengzhao.ENOTFOUND, "the holder area is not enabled"))
			}
		}
	}
	return rs
}
