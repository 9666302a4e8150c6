package http_test

import (
	"strconv"
	"strings"
	"testing"
)

// TestInvalidUTF8Body: encoding/json replaces a byte that is not UTF-8
// with U+FFFD and goes on, so a name was signed other than it was sent
// (201). The body is refused with a 400 naming the member and the byte
// offset, before any service is called.
func TestInvalidUTF8Body(t *testing.T) {
	s := MustOpenServer(t)
	body := strings.Replace(issueBody, "张三", "张\xff三", 1)
	rec := s.Do(t, request{method: "POST", path: "/v1/licenses", token: issuerToken, body: body})
	p := mustInvalid(t, rec, "holder.name")
	off := strings.Index(body, "\xff")
	if want := "byte " + strconv.Itoa(off); !strings.Contains(p.Errors[0].Message, want) {
		t.Fatalf("message %q does not name %s", p.Errors[0].Message, want)
	}
	if strings.Contains(rec.Body.String(), "张") {
		t.Fatalf("the answer echoes the value: %s", rec.Body)
	}
	// Outside any string, the offset alone.
	rec = s.Do(t, request{method: "POST", path: "/v1/licenses", token: issuerToken, body: "{\xff}"})
	mustInvalid(t, rec, "")
}
