package sqlite

import (
	"database/sql"
	"errors"
	"fmt"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/zhengzhao-project/zhengzhao"
)

// resultCode returns the SQLite extended result code of err, or 0.
func resultCode(err error) int {
	var e *sqlite.Error
	if errors.As(err, &e) {
		return e.Code()
	}
	return 0
}

// mapErr turns a driver error into a domain error: a unique or primary key
// violation becomes ECONFLICT with the caller-safe message conflict, a
// foreign key violation ENOTFOUND, a locked database EUNAVAILABLE. Any
// other error is wrapped with op and reports as internal.
func mapErr(op string, err error, conflict string) error {
	if err == nil {
		return nil
	}
	code := resultCode(err)
	switch {
	case conflict != "" && (code == sqlite3.SQLITE_CONSTRAINT_UNIQUE || code == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY):
		return &zhengzhao.Error{Code: zhengzhao.ECONFLICT, Message: conflict, Op: op, Err: err}
	case code == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
		return &zhengzhao.Error{Code: zhengzhao.ENOTFOUND, Message: "an object it refers to does not exist", Op: op, Err: err}
	case code&0xff == sqlite3.SQLITE_BUSY || code&0xff == sqlite3.SQLITE_LOCKED:
		return &zhengzhao.Error{Code: zhengzhao.EUNAVAILABLE, Message: "the database is busy; retry later", Op: op, Err: err}
	}
	return fmt.Errorf("%s: %w", op, err)
}

// notFound returns an ENOTFOUND error for sql.ErrNoRows and maps any other
// error with mapErr.
func notFound(op string, err error, format string, args ...any) error {
	if errors.Is(err, sql.ErrNoRows) {
		return &zhengzhao.Error{Code: zhengzhao.ENOTFOUND, Message: fmt.Sprintf(format, args...), Op: op}
	}
	return mapErr(op, err, "")
}
