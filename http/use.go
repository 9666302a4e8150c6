package http

import (
	nethttp "net/http"

	"github.com/zhengzhao-project/zhengzhao"
)

// Handlers of the use area (use_routes.go). Each decodes, calls the use
// service and renders; the rules are in the library.

// handleCreateMatter handles POST /v1/matters.
func (s *Server) handleCreateMatter(w nethttp.ResponseWriter, r *nethttp.Request) {
	var m zhengzhao.Matter
	if err := s.decode(r, &m); err != nil {
		s.error(w, r, err)
		return
	}
	if err := s.use.CreateMatter(r.Context(), &m); err != nil {
		s.error(w, r, err)
		return
	}
	s.render(w, r, nethttp.StatusCreated, &m)
}

// handleListMatters handles GET /v1/matters.
func (s *Server) handleListMatters(w nethttp.ResponseWriter, r *nethttp.Request) {
	var fields []zhengzhao.FieldError
	p := page(r, &fields)
	owner := optString(r, "owner", &fields)
	if err := invalid("invalid query", fields); err != nil {
		s.error(w, r, err)
		return
	}
	o := ""
	if owner != nil {
		o = *owner
	}
	ms, n, next, err := s.use.FindMatters(r.Context(), o, p)
	if err != nil {
		s.error(w, r, err)
		return
	}
	s.render(w, r, nethttp.StatusOK, newList(ms, n, next))
}

// handleGetMatter handles GET /v1/matters/{code}.
func (s *Server) handleGetMatter(w nethttp.ResponseWriter, r *nethttp.Request) {
	m, err := s.use.FindMatterByCode(r.Context(), r.PathValue("code"))
	if err != nil {
		s.error(w, r, err)
		return
	}
	s.render(w, r, nethttp.StatusOK, m)
}

// handleUpdateMatter handles PUT /v1/matters/{code}.
func (s *Server) handleUpdateMatter(w nethttp.ResponseWriter, r *nethttp.Request) {
	var m zhengzhao.Matter
	if err := s.decode(r, &m); err != nil {
		s.error(w, r, err)
		return
	}
	m.Code = r.PathValue("code")
	out, err := s.use.UpdateMatter(r.Context(), &m)
	if err != nil {
		s.error(w, r, err)
		return
	}
	s.render(w, r, nethttp.StatusOK, out)
}

// handleListUsageLists handles GET /v1/units/{code}/usage-lists.
func (s *Server) handleListUsageLists(w nethttp.ResponseWriter, r *nethttp.Request) {
	us, err := s.use.FindUsageLists(r.Context(), r.PathValue("code"))
	if err != nil {
		s.error(w, r, err)
		return
	}
	s.render(w, r, nethttp.StatusOK, newList(us, len(us), ""))
}

// usageListBody is the body of PUT /v1/units/{code}/usage-lists/{matter}.
type usageListBody struct {
	Items []zhengzhao.UsageItem `json:"items"`
}

// handlePutUsageList handles PUT /v1/units/{code}/usage-lists/{matter}.
func (s *Server) handlePutUsageList(w nethttp.ResponseWriter, r *nethttp.Request) {
	var b usageListBody
	if err := s.decode(r, &b); err != nil {
		s.error(w, r, err)
		return
	}
	u, err := s.use.PutUsageList(r.Context(), &zhengzhao.UsageList{Unit: r.PathValue("code"), Matter: r.PathValue("matter"), Items: b.Items})
	if err != nil {
		s.error(w, r, err)
		return
	}
	s.render(w, r, nethttp.StatusOK, u)
}

// handleDeleteUsageList handles DELETE /v1/units/{code}/usage-lists/{matter}.
func (s *Server) handleDeleteUsageList(w nethttp.ResponseWriter, r *nethttp.Request) {
	if err := s.use.DeleteUsageList(r.Context(), r.PathValue("code"), r.PathValue("matter")); err != nil {
		s.error(w, r, err)
		return
	}
	w.WriteHeader(nethttp.StatusNoContent)
}

// handleExemption handles POST /v1/use/exemptions.
func (s *Server) handleExemption(w nethttp.ResponseWriter, r *nethttp.Request) {
	var req zhengzhao.ExemptionRequest
	if err := s.decode(r, &req); err != nil {
		s.error(w, r, err)
		return
	}
	ex, err := s.use.Exemption(r.Context(), &req)
	if err != nil {
		s.error(w, r, err)
		return
	}
	s.render(w, r, nethttp.StatusOK, ex)
}

// handleFetch handles POST /v1/use/fetch.
func (s *Server) handleFetch(w nethttp.ResponseWriter, r *nethttp.Request) {
	var req zhengzhao.FetchRequest
	if err := s.decode(r, &req); err != nil {
		s.error(w, r, err)
		return
	}
	lic, err := s.use.FetchLicense(r.Context(), &req)
	if err != nil {
		s.error(w, r, err)
		return
	}
	s.render(w, r, nethttp.StatusOK, lic)
}

// handleScenarioFetch handles POST /v1/use/scenario-fetch.
func (s *Server) handleScenarioFetch(w nethttp.ResponseWriter, r *nethttp.Request) {
	var req zhengzhao.ScenarioFetchRequest
	if err := s.decode(r, &req); err != nil {
		s.error(w, r, err)
		return
	}
	d, err := s.use.FetchUnderScenario(r.Context(), &req)
	if err != nil {
		s.error(w, r, err)
		return
	}
	s.render(w, r, nethttp.StatusOK, d)
}

// scenarioBody is what a unit submits to apply for a scenario.
type scenarioBody struct {
	Kind    string                   `json:"kind"`
	Name    string                   `json:"name"`
	Purpose string                   `json:"purpose"`
	Items   []zhengzhao.ScenarioItem `json:"items"`
}

// handleApplyScenario handles POST /v1/scenarios.
func (s *Server) handleApplyScenario(w nethttp.ResponseWriter, r *nethttp.Request) {
	var b scenarioBody
	if err := s.decode(r, &b); err != nil {
		s.error(w, r, err)
		return
	}
	sc := &zhengzhao.Scenario{Kind: b.Kind, Name: b.Name, Purpose: b.Purpose, Items: b.Items}
	if err := s.use.ApplyScenario(r.Context(), sc); err != nil {
		s.error(w, r, err)
		return
	}
	s.render(w, r, nethttp.StatusCreated, sc)
}

// handleListScenarios handles GET /v1/scenarios.
func (s *Server) handleListScenarios(w nethttp.ResponseWriter, r *nethttp.Request) {
	var fields []zhengzhao.FieldError
	f := zhengzhao.ScenarioFilter{Status: optString(r, "status", &fields), Kind: optString(r, "kind", &fields),
		Unit: optString(r, "unit", &fields), Region: optString(r, "region", &fields)}
	if err := invalid("invalid query", fields); err != nil {
		s.error(w, r, err)
		return
	}
	ss, err := s.use.FindScenarios(r.Context(), f)
	if err != nil {
		s.error(w, r, err)
		return
	}
	s.render(w, r, nethttp.StatusOK, newList(ss, len(ss), ""))
}

// handleScenarioReport handles GET /v1/scenarios/report.
func (s *Server) handleScenarioReport(w nethttp.ResponseWriter, r *nethttp.Request) {
	rep, err := s.use.ScenarioReport(r.Context())
	if err != nil {
		s.error(w, r, err)
		return
	}
	s.render(w, r, nethttp.StatusOK, rep)
}

// handleGetScenario handles GET /v1/scenarios/{id}.
func (s *Server) handleGetScenario(w nethttp.ResponseWriter, r *nethttp.Request) {
	sc, err := s.use.FindScenarioByID(r.Context(), r.PathValue("id"))
	if err != nil {
		s.error(w, r, err)
		return
	}
	s.render(w, r, nethttp.StatusOK, sc)
}

// handleDecideScenario handles POST /v1/scenarios/{id}/decision.
func (s *Server) handleDecideScenario(w nethttp.ResponseWriter, r *nethttp.Request) {
	var d zhengzhao.ScenarioDecision
	if err := s.decode(r, &d); err != nil {
		s.error(w, r, err)
		return
	}
	sc, err := s.use.DecideScenario(r.Context(), r.PathValue("id"), &d)
	if err != nil {
		s.error(w, r, err)
		return
	}
	s.render(w, r, nethttp.StatusOK, sc)
}

// handleRequestGrant handles POST /v1/grants.
func (s *Server) handleRequestGrant(w nethttp.ResponseWriter, r *nethttp.Request) {
	var req zhengzhao.GrantRequest
	if err := s.decode(r, &req); err != nil {
		s.error(w, r, err)
		return
	}
	g, err := s.use.RequestGrant(r.Context(), &req)
	if err != nil {
		s.error(w, r, err)
		return
	}
	s.render(w, r, nethttp.StatusCreated, g)
}

// handleListGrants handles GET /v1/grants.
func (s *Server) handleListGrants(w nethttp.ResponseWriter, r *nethttp.Request) {
	gs, err := s.use.FindGrants(r.Context())
	if err != nil {
		s.error(w, r, err)
		return
	}
	s.render(w, r, nethttp.StatusOK, newList(gs, len(gs), ""))
}

// handleGetGrant handles GET /v1/grants/{id}.
func (s *Server) handleGetGrant(w nethttp.ResponseWriter, r *nethttp.Request) {
	g, err := s.use.FindGrantByID(r.Context(), r.PathValue("id"))
	if err != nil {
		s.error(w, r, err)
		return
	}
	s.render(w, r, nethttp.StatusOK, g)
}

// handleDecideGrant handles POST /v1/grants/{id}/decision.
func (s *Server) handleDecideGrant(w nethttp.ResponseWriter, r *nethttp.Request) {
	var d zhengzhao.GrantDecision
	if err := s.decode(r, &d); err != nil {
		s.error(w, r, err)
		return
	}
	g, err := s.use.DecideGrant(r.Context(), r.PathValue("id"), &d)
	if err != nil {
		s.error(w, r, err)
		return
	}
	s.render(w, r, nethttp.StatusOK, g)
}

// handleWithdrawGrant handles POST /v1/grants/{id}/withdraw.
func (s *Server) handleWithdrawGrant(w nethttp.ResponseWriter, r *nethttp.Request) {
	g, err := s.use.WithdrawGrant(r.Context(), r.PathValue("id"))
	if err != nil {
		s.error(w, r, err)
		return
	}
	s.render(w, r, nethttp.StatusOK, g)
}

// handleUseGrant handles POST /v1/grants/{id}/use.
func (s *Server) handleUseGrant(w nethttp.ResponseWriter, r *nethttp.Request) {
	d, err := s.use.UseGrant(r.Context(), r.PathValue("id"))
	if err != nil {
		s.error(w, r, err)
		return
	}
	s.render(w, r, nethttp.StatusOK, d)
}

// handleGrantUses handles GET /v1/grants/{id}/uses.
func (s *Server) handleGrantUses(w nethttp.ResponseWriter, r *nethttp.Request) {
	es, err := s.use.FindGrantUses(r.Context(), r.PathValue("id"))
	if err != nil {
		s.error(w, r, err)
		return
	}
	s.render(w, r, nethttp.StatusOK, newList(es, len(es), ""))
}
