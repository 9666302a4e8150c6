package http

import (
	_ "embed"
	nethttp "net/http"

	"github.com/zhengzhao-project/zhengzhao"
)

// healthResponse is the body of /healthz and /readyz.
type healthResponse struct {
	Status  string `json:"status"`
	Version string `json:"version"`
}

// handleHealthz handles GET /healthz: the process is up and serving.
func (s *Server) handleHealthz(w nethttp.ResponseWriter, r *nethttp.Request) {
	s.render(w, r, nethttp.StatusOK, healthResponse{Status: "ok", Version: s.version})
}

// handleReadyz handles GET /readyz: the server can serve requests now. It
// is not ready while shutting down or when Config.Ready fails, so that a
// load balancer stops sending traffic.
func (s *Server) handleReadyz(w nethttp.ResponseWriter, r *nethttp.Request) {
	if s.stopping.Load() {
		s.error(w, r, zhengzhao.Errorf(zhengzhao.EUNAVAILABLE, "shutting down"))
		return
	}
	if s.ready != nil {
		if err := s.ready(r.Context()); err != nil {
			s.error(w, r, &zhengzhao.Error{Code: zhengzhao.EUNAVAILABLE, Message: "not ready", Err: err})
			return
		}
	}
	s.render(w, r, nethttp.StatusOK, healthResponse{Status: "ready", Version: s.version})
}

//go:embed openapi.json
var openAPIDocument []byte

// handleOpenAPI handles GET /openapi.json.
func (s *Server) handleOpenAPI(w nethttp.ResponseWriter, r *nethttp.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "public, max-age=300")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	_, _ = w.Write(openAPIDocument)
}
