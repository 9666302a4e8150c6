// Package notify sends the library's notifications of deliveries (送达,
// Measures art. 9) out of the library: today a webhook, behind which an
// operator puts an SMS gateway or an app push service. The rules (package
// library) take any zhengzhao.Notifier; this package holds the transport,
// so the rules package makes no HTTP calls of its own.
package notify

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/zhengzhao-project/zhengzhao"
)

// DefaultTimeout bounds a webhook call when Webhook.Client is nil.
const DefaultTimeout = 30 * time.Second

// Webhook posts each notification as JSON to a URL. With a secret, the
// body is signed with HMAC-SHA256 in the header X-Zhengzhao-Signature:
// sha256=<hex>, so that the receiver can tell the library's calls from
// forged ones. Each call carries the notification's ID as its
// Idempotency-Key: a retry after a lost answer is the same notification.
type Webhook struct {
	URL    string
	Secret string
	// Client sends the requests (default: a client with DefaultTimeout).
	Client *http.Client
}

var _ zhengzhao.Notifier = (*Webhook)(nil)

// body is what the webhook receives.
type body struct {
	ID          string              `json:"id"`
	Message     string              `json:"message_id"`
	Holder      zhengzhao.HolderRef `json:"holder"`
	Kind        string              `json:"kind"`
	License     string              `json:"license"`
	TypeName    string              `json:"type_name"`
	DeliveredAt time.Time           `json:"delivered_at"`
	Attempt     int                 `json:"attempt"`
}

// Notify posts n; any status but 2xx is an error.
func (w *Webhook) Notify(ctx context.Context, n *zhengzhao.Notification) error {
	b, err := json.Marshal(body{ID: n.ID, Message: n.MessageID, Holder: n.Holder, Kind: n.Kind, License: n.License,
		TypeName: n.TypeName, DeliveredAt: n.DeliveredAt, Attempt: n.Attempts + 1})
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.URL, bytes.NewReader(b))
	if err != nil {
		return fmt.Errorf("webhook: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", n.ID)
	if w.Secret != "" {
		mac := hmac.New(sha256.New, []byte(w.Secret))
		mac.Write(b)
		req.Header.Set("X-Zhengzhao-Signature", "sha256="+hex.EncodeToString(mac.Sum(nil)))
	}
	c := w.Client
	if c == nil {
		c = &http.Client{Timeout: DefaultTimeout}
	}
	resp, err := c.Do(req)
	if err != nil {
		return fmt.Errorf("webhook: %w", err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("webhook: %s answered %s", w.URL, resp.Status)
	}
	return nil
}
