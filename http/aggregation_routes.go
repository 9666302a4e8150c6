package http

// aggregationRoutes are the endpoints of the aggregation area: import, daily increments, reconciliation, outages (issue 6).
func (s *Server) aggregationRoutes() []route { return nil }
