package sqlite

import (
	"database/sql"
	"errors"
	"fmt"


	"github.com/zhengzhao-project/zhengzhao"
)

// notFound returns an ENOTFOUND error for sql.ErrNoRows and maps any other
// error with mapErr.
func notFound(op string, err error, format string, args ...any) error {
	if errors.Is(err, sql.ErrNoRows) {
		return &zhengzhao.Error{Code: zhengzhao.ENOTFOUND, Message: fmt.Sprintf(format, args...), Op: op}
	}
	return mapErr(op, err, "")
}
