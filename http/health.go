package http

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
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
var openAPICore []byte

// openAPIFragments holds one fragment per feature area, each an object
// with "paths" and "components"; they are merged into the core document so
// that each feature documents its endpoints beside its code.
//
//go:embed openapi/*.json
var openAPIFragments embed.FS

// openAPIDocument is the merged OpenAPI document served at /openapi.json.
var openAPIDocument = mustMergeOpenAPI(openAPICore, openAPIFragments)

// mustMergeOpenAPI merges the fragments' paths and component members into
// the core document. A path or component defined twice is a programming
// error and panics at start-up (and in every test).
func mustMergeOpenAPI(core []byte, fragments fs.FS) []byte {
	var doc map[string]any
	if err := json.Unmarshal(core, &doc); err != nil {
		panic("openapi.json: " + err.Error())
	}
	names, _ := fs.Glob(fragments, "openapi/*.json")
	for _, name := range names {
		b, _ := fs.ReadFile(fragments, name)
		var frag map[string]map[string]any
		if err := json.Unmarshal(b, &frag); err != nil {
			panic(name + ": " + err.Error())
		}
		mergeInto(doc, "paths", frag["paths"], name)
		comps, _ := doc["components"].(map[string]any)
		for kind, members := range frag["components"] {
			m, _ := members.(map[string]any)
			mergeInto(comps, kind, m, name)
		}
	}
	addCommonResponses(doc)
	out, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		panic(err)
	}
	return out
}

func mergeInto(doc map[string]any, key string, add map[string]any, source string) {
	if len(add) == 0 {
		return
	}
	dst, _ := doc[key].(map[string]any)
	if dst == nil {
		dst = map[string]any{}
		doc[key] = dst
	}
	for k, v := range add {
		old, dup := dst[k]
		switch {
		case !dup:
			dst[k] = v
		case key == "paths":
			// A fragment may add operations (methods) to a path of the
			// core document, never replace one.
			ops, _ := old.(map[string]any)
			for method, op := range v.(map[string]any) {
				if _, twice := ops[method]; twice {
					panic(fmt.Sprintf("%s: %s %s is defined twice", source, method, k))
				}
				ops[method] = op
			}
		default:
			panic(fmt.Sprintf("%s: %s %q is defined twice", source, key, k))
		}
	}
}

// handleOpenAPI handles GET /openapi.json.
func (s *Server) handleOpenAPI(w nethttp.ResponseWriter, r *nethttp.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "public, max-age=300")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	_, _ = w.Write(openAPIDocument)
}
