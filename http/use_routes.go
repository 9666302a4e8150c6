package http

// useRoutes are the endpoints of the use area: service matters, usage
// lists, material exemption, scenarios, consent grants, composite licenses
// (issue 5).
func (s *Server) useRoutes() []route { return nil }
