package http

import (
	"fmt"
	nethttp "net/http"

	"github.com/zhengzhao-project/zhengzhao"
)

// handleGetCheckpoint handles GET /v1/audit/checkpoint: the latest signed
// checkpoint as JSON, or its signed note alone as text/plain when the
// Accept header prefers it (what transparency-log tools read).
func (s *Server) handleGetCheckpoint(w nethttp.ResponseWriter, r *nethttp.Request) {
	w.Header().Add("Vary", "Accept")
	c, err := s.audit.LatestCheckpoint(r.Context())
	if err != nil {
		s.error(w, r, err)
		return
	}
	s.renderCheckpoint(w, r, nethttp.StatusOK, c)
}

// handleSignCheckpoint handles POST /v1/audit/checkpoint: the administrator
// has the log signed now.
func (s *Server) handleSignCheckpoint(w nethttp.ResponseWriter, r *nethttp.Request) {
	c, err := s.audit.SignCheckpoint(r.Context())
	if err != nil {
		s.error(w, r, err)
		return
	}
	s.renderCheckpoint(w, r, nethttp.StatusOK, c)
}

func (s *Server) renderCheckpoint(w nethttp.ResponseWriter, r *nethttp.Request, status int, c *zhengzhao.Checkpoint) {
	if negotiate(r, mediaJSON, mediaText) == mediaText {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(status)
		_, _ = w.Write([]byte(c.Note))
		return
	}
	s.render(w, r, status, c)
}

// handleAuditEntries handles GET /v1/audit/entries. The license parameter
// takes the ID of any version of a license and selects the entries of all
// its versions.
func (s *Server) handleAuditEntries(w nethttp.ResponseWriter, r *nethttp.Request) {
	var fields []zhengzhao.FieldError
	f := zhengzhao.AuditFilter{Page: page(r, &fields)}
	if v := optString(r, "license", &fields); v != nil {
		id, err := zhengzhao.ParseLicenseID(*v)
		if err != nil {
			fields = append(fields, zhengzhao.FieldError{Field: "license", Message: zhengzhao.ErrorMessage(err)})
		} else {
			base := id.Base()
			f.LicenseBase = &base
		}
	}
	f.Actor = optString(r, "actor", &fields)
	if err := invalid("invalid query", fields); err != nil {
		s.error(w, r, err)
		return
	}
	entries, total, next, err := s.audit.FindAuditEntries(r.Context(), f)
	if err != nil {
		s.error(w, r, err)
		return
	}
	s.render(w, r, nethttp.StatusOK, newList(entries, total, next))
}

// handleInclusionProof handles GET /v1/audit/proof. Without size the
// proof is against the latest signed checkpoint, the tree a verifier
// holds when it has just read GET /v1/audit/checkpoint.
func (s *Server) handleInclusionProof(w nethttp.ResponseWriter, r *nethttp.Request) {
	var fields []zhengzhao.FieldError
	index := int64Param(r, "index", &fields)
	size := int64(-1)
	if v, ok := r.URL.Query()["size"]; ok && v[0] != "" {
		size = int64Param(r, "size", &fields)
	}
	if err := invalid("invalid query", fields); err != nil {
		s.error(w, r, err)
		return
	}
	if size < 0 {
		c, err := s.audit.LatestCheckpoint(r.Context())
		if zhengzhao.ErrorCode(err) == zhengzhao.ENOTFOUND {
			err = zhengzhao.Errorf(zhengzhao.ENOTFOUND, "no signed checkpoint yet to prove against: wait for the checkpointer (--checkpoint-interval) or have the administrator POST /v1/audit/checkpoint, or pass size")
		}
		if err != nil {
			s.error(w, r, err)
			return
		}
		size = c.Size
		if index >= size {
			s.error(w, r, invalid("invalid query", []zhengzhao.FieldError{{Field: "index",
				Message: fmt.Sprintf("entry %d is not in the latest checkpoint (size %d) yet: wait for the next checkpoint, or have the administrator POST /v1/audit/checkpoint", index, size)}}))
			return
		}
	}
	p, err := s.audit.InclusionProof(r.Context(), index, size)
	if err != nil {
		s.error(w, r, err)
		return
	}
	if p.Hashes == nil {
		p.Hashes = [][]byte{}
	}
	s.render(w, r, nethttp.StatusOK, p)
}

// handleConsistencyProof handles GET /v1/audit/consistency.
func (s *Server) handleConsistencyProof(w nethttp.ResponseWriter, r *nethttp.Request) {
	var fields []zhengzhao.FieldError
	size1 := int64Param(r, "size1", &fields)
	size2 := int64Param(r, "size2", &fields)
	if err := invalid("invalid query", fields); err != nil {
		s.error(w, r, err)
		return
	}
	p, err := s.audit.ConsistencyProof(r.Context(), size1, size2)
	if err != nil {
		s.error(w, r, err)
		return
	}
	if p.Hashes == nil {
		p.Hashes = [][]byte{}
	}
	s.render(w, r, nethttp.StatusOK, p)
}
