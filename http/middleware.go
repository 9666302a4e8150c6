package http

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	nethttp "net/http"
	"runtime/debug"
	"time"

	"github.com/zhengzhao-project/zhengzhao"
)

// requestInfo travels in a request's context from the outermost middleware
// inwards; inner layers fill in what the request log reports.
type requestInfo struct {
	id     string
	actor  string
	secure bool // cookies get Secure (transport.go)
}

type requestInfoKey struct{}

func infoFromContext(ctx context.Context) *requestInfo {
	info, _ := ctx.Value(requestInfoKey{}).(*requestInfo)
	return info
}

// RequestIDFromContext returns the ID of the request being served, as sent
// back in the X-Request-ID header, or "" outside a request.
func RequestIDFromContext(ctx context.Context) string {
	if info := infoFromContext(ctx); info != nil {
		return info.id
	}
	return ""
}

// requestID gives every request an ID: the client's X-Request-ID when it is
// a short printable token, a random one otherwise. The ID is echoed in the
// response header and in problem documents, and logged.
func (s *Server) requestID(next nethttp.Handler) nethttp.Handler {
	return nethttp.HandlerFunc(func(w nethttp.ResponseWriter, r *nethttp.Request) {
		id := r.Header.Get("X-Request-ID")
		if !validRequestID(id) {
			id = newRequestID()
		}
		w.Header().Set("X-Request-ID", id)
		info := &requestInfo{id: id, actor: string(zhengzhao.ActorAnonymous)}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), requestInfoKey{}, info)))
	})
}

func validRequestID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.'
		if !ok {
			return false
		}
	}
	return true
}

func newRequestID() string {
	var b [12]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand)
	return hex.EncodeToString(b[:])
}

// statusWriter records the status and size of a response.
type statusWriter struct {
	nethttp.ResponseWriter
	status int
	size   int64
}

func (w *statusWriter) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = nethttp.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.size += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *statusWriter) Unwrap() nethttp.ResponseWriter { return w.ResponseWriter }

// logRequests logs one line per request with its outcome.
func (s *Server) logRequests(next nethttp.Handler) nethttp.Handler {
	return nethttp.HandlerFunc(func(w nethttp.ResponseWriter, r *nethttp.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r)
		if sw.status == 0 {
			sw.status = nethttp.StatusOK
		}
		level := slog.LevelInfo
		if sw.status >= 500 {
			level = slog.LevelWarn
		}
		info := infoFromContext(r.Context())
		s.logger.LogAttrs(r.Context(), level, "request",
			slog.String("request_id", info.id),
			slog.String("method", r.Method),
			slog.String("path", logPath(r.URL.Path)),
			slog.Int("status", sw.status),
			slog.Int64("bytes", sw.size),
			slog.Duration("duration", time.Since(start)),
			slog.String("actor", zhengzhao.LogRef(s.logKey, info.actor)),
			slog.String("remote", r.RemoteAddr),
		)
	})
}

// recoverPanic turns a panicking handler into a 500 problem and logs the
// panic with its stack. http.ErrAbortHandler is passed on: it is how a
// handler asks the server to abort the response.
func (s *Server) recoverPanic(next nethttp.Handler) nethttp.Handler {
	return nethttp.HandlerFunc(func(w nethttp.ResponseWriter, r *nethttp.Request) {
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			if v == nethttp.ErrAbortHandler {
				panic(v)
			}
			s.logger.LogAttrs(r.Context(), slog.LevelError, "panic serving request",
				slog.String("request_id", RequestIDFromContext(r.Context())),
				slog.String("panic", fmt.Sprint(v)),
				slog.String("stack", string(debug.Stack())),
			)
			if sw, ok := w.(*statusWriter); ok && sw.status != 0 {
				// The response has begun; the connection is all we can
				// still break.
				panic(nethttp.ErrAbortHandler)
			}
			s.error(w, r, fmt.Errorf("panic: %v", v))
		}()
		next.ServeHTTP(w, r)
	})
}

// limitBody rejects bodies larger than the limit: at once when the declared
// Content-Length is too large, or when a handler reads past the limit.
func (s *Server) limitBody(next nethttp.Handler) nethttp.Handler {
	return nethttp.HandlerFunc(func(w nethttp.ResponseWriter, r *nethttp.Request) {
		limit := s.bodyLimitFor(r) // the aggregation uploads have their own (aggregation.go)
		if r.ContentLength > limit {
			s.error(w, r, errTooLarge(limit))
			return
		}
		r.Body = nethttp.MaxBytesReader(w, r.Body, limit)
		next.ServeHTTP(w, r)
	})
}

func errTooLarge(limit int64) error {
	return zhengzhao.Errorf(zhengzhao.ETOOLARGE, "the request body exceeds the limit of %d bytes", limit)
}
