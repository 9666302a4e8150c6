package http

import (
	"context"
	nethttp "net/http"
	"time"

	"github.com/zhengzhao-project/zhengzhao"
)

// Holders sign in through the configured OpenID provider (holder_oidc.go)
// or, with --demo, by picking a demo holder. The session lives on the
// server; the browser holds an opaque secret in an HttpOnly, SameSite=Lax
// cookie. Cross-site form posts are refused by http.CrossOriginProtection.

// sessionCookie is the name of the holder session cookie.
const sessionCookie = "zz_session"

type sessionKey struct{}

// sessionFromContext returns the holder session of the request, or nil.
func sessionFromContext(ctx context.Context) *zhengzhao.HolderSession {
	s, _ := ctx.Value(sessionKey{}).(*zhengzhao.HolderSession)
	return s
}

// sessionActor returns the request with the holder actor of its session
// cookie in the context, or r itself when there is no live session.
func (s *Server) sessionActor(r *nethttp.Request) *nethttp.Request {
	if s.holders == nil {
		return r
	}
	c, err := r.Cookie(sessionCookie)
	if err != nil || c.Value == "" {
		return r
	}
	hs, err := s.holders.AuthenticateHolder(r.Context(), c.Value)
	if err != nil {
		if zhengzhao.ErrorCode(err) != zhengzhao.EUNAUTHENTICATED {
			s.logger.ErrorContext(r.Context(), "holder session", "err", err)
		}
		return r
	}
	a := hs.Actor()
	if info := infoFromContext(r.Context()); info != nil {
		info.actor = a.ID()
	}
	ctx := context.WithValue(zhengzhao.NewContextWithActor(r.Context(), a), sessionKey{}, hs)
	return r.WithContext(ctx)
}

// setSessionCookie hands the browser a session secret.
func (s *Server) setSessionCookie(w nethttp.ResponseWriter, r *nethttp.Request, secret string, ttl time.Duration) {
	nethttp.SetCookie(w, &nethttp.Cookie{
		Name: sessionCookie, Value: secret, Path: "/", MaxAge: int(ttl.Seconds()),
		HttpOnly: true, Secure: s.secure(r), SameSite: nethttp.SameSiteLaxMode,
	})
}

// clearCookie deletes the cookie name set on path (a browser deletes only
// a cookie of the same path).
func (s *Server) clearCookie(w nethttp.ResponseWriter, r *nethttp.Request, name, path string) {
	nethttp.SetCookie(w, &nethttp.Cookie{Name: name, Value: "", Path: path, MaxAge: -1, HttpOnly: true, Secure: s.secure(r), SameSite: nethttp.SameSiteLaxMode})
}

// systemContext returns ctx acting as the library itself, for the sign-in
// step that has authenticated the holder by other means.
func systemContext(ctx context.Context) context.Context {
	return zhengzhao.NewContextWithActor(ctx, zhengzhao.Actor{Kind: zhengzhao.ActorSystem})
}

// signIn creates the session of an authenticated holder and sets the
// cookie.
func (s *Server) signIn(w nethttp.ResponseWriter, r *nethttp.Request, hs *zhengzhao.HolderSession) error {
	ttl := s.holderCfg.SessionTTL
	if ttl <= 0 {
		ttl = 12 * time.Hour
	}
	secret, err := s.holders.CreateHolderSession(systemContext(r.Context()), hs, ttl)
	if err != nil {
		return err
	}
	s.setSessionCookie(w, r, secret, ttl)
	return nil
}
