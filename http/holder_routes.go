package http

// holderRoutes are the endpoints of the holder area: sign-in, inbox, wallet, display tokens, verifier, printable copies, proxies (issue 4).
func (s *Server) holderRoutes() []route { return nil }
