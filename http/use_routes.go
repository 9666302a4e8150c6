package http

import (
	nethttp "net/http"

	"github.com/zhengzhao-project/zhengzhao"
)

// useRoutes are the endpoints of the use area: service matters, usage
// lists, material exemption, scenarios, consent grants, composite licenses
// (issue 5). Who may call what is the library's decision; see
// docs/access-control.md and the matrix test in cmd/zhengzhao.
func (s *Server) useRoutes() []route {
	rs := []route{
		{method: "POST", path: "/v1/matters", auth: true, handler: s.handleCreateMatter},
		{method: "GET", path: "/v1/matters", auth: true, query: withPage("owner"), handler: s.handleListMatters},
		{method: "GET", path: "/v1/matters/{code}", auth: true, handler: s.handleGetMatter},
		{method: "PUT", path: "/v1/matters/{code}", auth: true, handler: s.handleUpdateMatter},
		{method: "GET", path: "/v1/units/{code}/usage-lists", auth: true, handler: s.handleListUsageLists},
		{method: "PUT", path: "/v1/units/{code}/usage-lists/{matter}", auth: true, handler: s.handlePutUsageList},
		{method: "DELETE", path: "/v1/units/{code}/usage-lists/{matter}", auth: true, handler: s.handleDeleteUsageList},

		{method: "POST", path: "/v1/use/exemptions", auth: true, handler: s.handleExemption},
		{method: "POST", path: "/v1/use/fetch", auth: true, handler: s.handleFetch},
		{method: "POST", path: "/v1/use/scenario-fetch", auth: true, handler: s.handleScenarioFetch},

		{method: "POST", path: "/v1/scenarios", auth: true, handler: s.handleApplyScenario},
		{method: "GET", path: "/v1/scenarios", auth: true, query: []string{"status", "kind", "unit", "region"}, handler: s.handleListScenarios},
		{method: "GET", path: "/v1/scenarios/report", auth: true, handler: s.handleScenarioReport},
		{method: "GET", path: "/v1/scenarios/{id}", auth: true, handler: s.handleGetScenario},
		{method: "POST", path: "/v1/scenarios/{id}/decision", auth: true, handler: s.handleDecideScenario},

		{method: "POST", path: "/v1/grants", auth: true, handler: s.handleRequestGrant},
		{method: "GET", path: "/v1/grants", auth: true, handler: s.handleListGrants},
		{method: "GET", path: "/v1/grants/{id}", auth: true, handler: s.handleGetGrant},
		{method: "POST", path: "/v1/grants/{id}/decision", auth: true, handler: s.handleDecideGrant},
		{method: "POST", path: "/v1/grants/{id}/withdraw", auth: true, handler: s.handleWithdrawGrant},
		{method: "POST", path: "/v1/grants/{id}/use", auth: true, handler: s.handleUseGrant},
		{method: "GET", path: "/v1/grants/{id}/uses", auth: true, handler: s.handleGrantUses},
	}
	if s.use == nil {
		for i := range rs {
			rs[i].handler = func(w nethttp.ResponseWriter, r *nethttp.Request) {
				s.error(w, r, zhengzhao.Errorf(zhengzhao.ENOTFOUND, "the use area is not enabled"))
			}
		}
	}
	return rs
}

// APIRoute is one endpoint of the JSON API, for tests outside package http
// such as the access-control matrix of cmd/zhengzhao.
type APIRoute struct {
	Method string
	Path   string
	Auth   bool
}

// APIRoutes lists the endpoints of the JSON API from the route table (the
// HTML pages left out).
func (s *Server) APIRoutes() []APIRoute {
	var out []APIRoute
	for _, rt := range s.routes() {
		if !rt.page {
			out = append(out, APIRoute{Method: rt.method, Path: rt.path, Auth: rt.auth})
		}
	}
	return out
}
