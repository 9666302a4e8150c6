package http

// aggregationRoutes are the endpoints of the aggregation area: import, daily increments, reconciliation, outages (issue 6).
func (s *Server) aggregationRoutes() []route {
	return []route{
		{method: "POST", path: "/v1/imports", auth: true, query: []string{"issuer", "type", "format", "encoding", "provenance", "mapping", "source"}, handler: s.handleImport},
		{method: "GET", path: "/v1/imports", auth: true, query: withPage("issuer"), handler: s.handleListImports},
		{method: "GET", path: "/v1/imports/{id}", auth: true, handler: s.handleGetImport},
		{method: "GET", path: "/v1/imports/{id}/report", auth: true, handler: s.handleImportReport},

		{method: "POST", path: "/v1/increments", auth: true, handler: s.handleSubmitIncrement},
		{method: "GET", path: "/v1/increments", auth: true, query: []string{"issuer", "from", "to"}, handler: s.handleIncrementStatus},

		{method: "POST", path: "/v1/reconciliations", auth: true, query: []string{"issuer", "format", "encoding"}, handler: s.handleReconcile},

		{method: "POST", path: "/v1/outages", auth: true, handler: s.handleRecordOutage},
		{method: "GET", path: "/v1/outages", auth: true, query: withPage("issuer", "open", "late"), handler: s.handleListOutages},
		{method: "POST", path: "/v1/outages/{id}/end", auth: true, handler: s.handleEndOutage},
		{method: "POST", path: "/v1/outages/{id}/caught-up", auth: true, handler: s.handleCatchUpOutage},
	}
}
