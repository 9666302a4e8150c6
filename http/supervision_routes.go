package http

// supervisionRoutes are the endpoints of the supervision area: objections, responsible staff, public catalog, supervision (issue 7).
func (s *Server) supervisionRoutes() []route {
	return []route{
		{method: "POST", path: "/v1/licenses/{id}/objections", auth: true, handler: s.handleFileObjection},
		{method: "GET", path: "/v1/objections", auth: true, query: withPage("role", "status", "license", "overdue"), handler: s.handleListObjections},
		{method: "GET", path: "/v1/objections/{id}", auth: true, handler: s.handleGetObjection},
		{method: "POST", path: "/v1/objections/{id}/answer", auth: true, handler: s.handleAnswerObjection},
		{method: "GET", path: "/v1/notices", auth: true, query: withPage("unread"), handler: s.handleListNotices},
		{method: "POST", path: "/v1/notices/{id}/read", auth: true, handler: s.handleReadNotice},

		{method: "POST", path: "/v1/units/{code}/contacts", auth: true, handler: s.handleCreateContact},
		{method: "GET", path: "/v1/units/{code}/contacts", auth: true, handler: s.handleListContacts},
		{method: "DELETE", path: "/v1/units/{code}/contacts/{id}", auth: true, handler: s.handleDeleteContact},

		{method: "GET", path: "/v1/catalog", query: []string{"format"}, handler: s.handleCatalog},

		{method: "GET", path: "/v1/supervision", auth: true, query: []string{"unit", "from", "to"}, handler: s.handleSupervise},
		{method: "GET", path: "/v1/supervision/units-without-contacts", auth: true, query: withPage(), handler: s.handleUnitsWithoutContacts},
		{method: "GET", path: "/v1/supervision/units/{code}/report", auth: true, query: []string{"year", "format"}, handler: s.handleAnnualReport},
		{method: "POST", path: "/v1/supervision/checks", auth: true, handler: s.handleCreateCheck},
		{method: "GET", path: "/v1/supervision/checks", auth: true, query: withPage("unit"), handler: s.handleListChecks},
		{method: "GET", path: "/v1/supervision/checks/{id}", auth: true, handler: s.handleGetCheck},
		{method: "POST", path: "/v1/supervision/checks/{id}/items/{item}/review", auth: true, handler: s.handleReviewCheck},

		{method: "GET", path: "/catalog", page: true, query: []string{"lang"}, handler: s.handleCatalogPage},
		{method: "GET", path: "/supervision", page: true, query: []string{"lang", "from", "to"}, handler: s.handleSupervisionPage},
		{method: "GET", path: "/supervision/login", page: true, query: []string{"lang"}, handler: s.handleSupervisionLoginPage},
		{method: "POST", path: "/supervision/login", page: true, handler: s.handleSupervisionLogin},
		{method: "POST", path: "/supervision/logout", page: true, handler: s.handleSupervisionLogout},
		{method: "GET", path: "/supervision/units/{code}/report", page: true, query: []string{"year", "format"}, handler: s.handleSupervisionReportDownload},
	}
}
