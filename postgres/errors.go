package postgres

import (
	"errors"
	"io"
	"net"
	"strings"
	"syscall"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/zhengzhao-project/zhengzhao"
	"github.com/zhengzhao-project/zhengzhao/sqlstore"
)

// SQLSTATE codes the store reacts to (PostgreSQL appendix A).
const (
	uniqueViolation     = "23505"
	foreignKeyViolation = "23503"
)

// mapErr turns a driver error into a domain error (sqlstore.MapErr).
func mapErr(op string, err error, conflict string) error {
	return sqlstore.MapErr(dialect, strings.TrimPrefix(op, "postgres."), err, conflict)
}

// pgErrCode returns the domain code of a constraint or data error.
func pgErrCode(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch {
		case pe.Code == uniqueViolation:
			return zhengzhao.ECONFLICT
		case pe.Code == foreignKeyViolation:
			return zhengzhao.ENOTFOUND
		case strings.HasPrefix(pe.Code, "22"): // data exception
			return zhengzhao.EINVALID
		}
	}
	return ""
}

// unavailable reports whether err says that the database cannot serve
// now but may later: the connection was lost (connLost), or the server is
// out of connections, or a lock or snapshot could not be had in time. The
// caller may retry; nothing of a transaction that failed this way was
// committed, except that a connection lost during COMMIT leaves the
// outcome unknown.
func unavailable(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code {
		case "53300", // too_many_connections
			"40001", // serialization_failure
			"40P01", // deadlock_detected
			"55P03", // lock_not_available: lock_timeout
			"57014": // query_canceled: statement_timeout (the caller's own cancel is checked first)
			return true
		}
	}
	return connLost(err)
}

// connLost reports whether err says that the connection is gone or could
// not be made: refused, reset, closed, or terminated by the server
// (shutdown, crash, pg_terminate_backend, session timeouts).
func connLost(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code {
		case "57P01", // admin_shutdown: pg_terminate_backend, smart or fast shutdown
			"57P02", // crash_shutdown
			"57P03", // cannot_connect_now: starting up, in recovery
			"57P05", // idle_session_timeout
			"25P03": // idle_in_transaction_session_timeout
			return true
		}
		return strings.HasPrefix(pe.Code, "08") // connection exception
	}
	var ce *pgconn.ConnectError
	if errors.As(err, &ce) {
		return true
	}
	var ne net.Error
	if errors.As(err, &ne) {
		return true
	}
	switch {
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET),
		errors.Is(err, syscall.EPIPE), errors.Is(err, net.ErrClosed),
		errors.Is(err, pgconn.ErrConnClosed): // e.g. COMMIT on a connection the server's crash closed
		return true
	}
	// pgconn marks errors that happened before anything reached the
	// server, such as using a connection that is already closed.
	return pgconn.SafeToRetry(err)
}

// closedErr is returned by Update and View after Close.
func closedErr(op string, err error) error {
	return &zhengzhao.Error{Code: zhengzhao.EUNAVAILABLE, Message: "the store is closed", Op: op, Err: err}
}
