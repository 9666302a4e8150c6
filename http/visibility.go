package http

import (
	"fmt"

	"github.com/zhengzhao-project/zhengzhao"
)

// hideOthers turns the library's refusal to show a license the caller may
// not read (another issuer's, EFORBIDDEN) into the answer a made-up ID
// gets: 404 with the same message, so that the answer does not reveal that
// the license exists (docs/access-control.md, "Objects of others"). The
// library still counts the refusal; the original error stays in the chain
// for the log.
func hideOthers(err error, id string) error {
	if zhengzhao.ErrorCode(err) != zhengzhao.EFORBIDDEN {
		return err
	}
	return &zhengzhao.Error{Code: zhengzhao.ENOTFOUND, Message: fmt.Sprintf("license %s not found", id), Err: err}
}
