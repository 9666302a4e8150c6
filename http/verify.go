package http

import (
	nethttp "net/http"

	"github.com/zhengzhao-project/zhengzhao"
)

// handleVerify handles POST /v1/verify. The body is passed to the service
// byte for byte: the signature covers the document as the holder has it.
// The answer is 200 with the result whenever the body is a JSON object,
// valid or not; a tampered document is a result, not an error.
func (s *Server) handleVerify(w nethttp.ResponseWriter, r *nethttp.Request) {
	doc, err := s.readBody(r)
	if err != nil {
		s.error(w, r, err)
		return
	}
	if len(doc) == 0 {
		s.error(w, r, invalidBody("", "the request body is empty; a license document is required"))
		return
	}
	res, err := s.licenses.VerifyLicense(r.Context(), doc)
	if err != nil {
		if zhengzhao.ErrorCode(err) == zhengzhao.EINVALID && len(zhengzhao.ErrorFields(err)) == 0 {
			err = &zhengzhao.Error{Code: zhengzhao.EINVALID, Message: zhengzhao.ErrorMessage(err), Err: err,
				Fields: []zhengzhao.FieldError{{Field: "", Message: zhengzhao.ErrorMessage(err)}}}
		}
		s.error(w, r, err)
		return
	}
	if res.Reasons == nil {
		res.Reasons = []string{}
	}
	s.render(w, r, nethttp.StatusOK, res)
}
