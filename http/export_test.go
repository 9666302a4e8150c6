package http

// RouteInfo describes one route of the route table for the tests.
type RouteInfo struct {
	Method string
	Path   string
	Auth   bool
	Query  []string
}

// Routes returns the server's route table, the one the mux is built from.
func (s *Server) Routes() []RouteInfo {
	var out []RouteInfo
	for _, rt := range s.routes() {
		if rt.page {
			continue // HTML pages are not part of the API document
		}
		out = append(out, RouteInfo{Method: rt.method, Path: rt.path, Auth: rt.auth, Query: rt.query})
	}
	return out
}

// OpenAPIDocument returns the embedded OpenAPI document.
func OpenAPIDocument() []byte { return openAPIDocument }

// ErrorStatus returns the map from error code to HTTP status.
func ErrorStatus() map[string]int { return errorStatus }
