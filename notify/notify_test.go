package notify_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/zhengzhao-project/zhengzhao"
	"github.com/zhengzhao-project/zhengzhao/notify"
)

// TestWebhook checks what the receiver gets: the notification as JSON, its
// ID as the Idempotency-Key, an HMAC-SHA256 signature of the body that the
// receiver can recompute, and an error for an answer other than 2xx.
func TestWebhook(t *testing.T) {
	status := http.StatusNoContent
	var got struct {
		body []byte
		h    http.Header
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got.body, _ = io.ReadAll(r.Body)
		got.h = r.Header.Clone()
		w.WriteHeader(status)
	}))
	defer srv.Close()
	w := &notify.Webhook{URL: srv.URL, Secret: "s3cret"}
	n := &zhengzhao.Notification{ID: "n1", MessageID: "m1", Kind: zhengzhao.DeliveryIssued, License: "L1", TypeName: "驾驶证", Attempts: 2}
	if err := w.Notify(context.Background(), n); err != nil {
		t.Fatal(err)
	}
	mac := hmac.New(sha256.New, []byte("s3cret"))
	mac.Write(got.body)
	if want := "sha256=" + hex.EncodeToString(mac.Sum(nil)); got.h.Get("X-Zhengzhao-Signature") != want {
		t.Errorf("signature %q, want %q", got.h.Get("X-Zhengzhao-Signature"), want)
	}
	if got.h.Get("Idempotency-Key") != "n1" {
		t.Errorf("Idempotency-Key %q", got.h.Get("Idempotency-Key"))
	}
	var b map[string]any
	if err := json.Unmarshal(got.body, &b); err != nil || b["license"] != "L1" || b["attempt"] != 3.0 || b["type_name"] != "驾驶证" {
		t.Errorf("body %s (%v)", got.body, err)
	}
	status = http.StatusServiceUnavailable
	if err := w.Notify(context.Background(), n); err == nil {
		t.Error("a 503 answer was taken for success")
	}
}
