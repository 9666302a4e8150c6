package http

// oversightRoutes are the endpoints of the oversight area: objections, responsible staff, public catalog, supervision (issue 7).
func (s *Server) oversightRoutes() []route { return nil }
