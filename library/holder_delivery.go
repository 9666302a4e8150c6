package library

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

// Delivery (送达, Measures art. 9). The license hooks in licenses.go call
// deliver inside the transaction of the change, so the message commits
// with the change or not at all, and its delivery time is the change's
// commit time.

// deliver puts a message about lic in its holder's inbox and, when a
// notifier is configured, queues a notification in the outbox.
func (l *Library) deliver(tx zhengzhao.Tx, kind string, lic *zhengzhao.License, note string) error {
	m := &zhengzhao.InboxMessage{
		ID: randomHex(12), Holder: lic.Holder.Ref(), Kind: kind, License: lic.ID, LicenseBase: lic.Base(),
		TypeName: lic.TypeName, Issuer: lic.Issuer, Note: note, DeliveredAt: tx.Now(),
	}
	if err := tx.CreateInboxMessage(m); err != nil {
		return fmt.Errorf("deliver %s to %s: %w", lic.ID, m.Holder, err)
	}
	if l.holderOpts().Notifier == nil {
		return nil
	}
	n := &zhengzhao.Notification{
		ID: randomHex(12), MessageID: m.ID, Holder: m.Holder, Kind: kind, License: lic.ID, TypeName: lic.TypeName,
		DeliveredAt: m.DeliveredAt, NextAttempt: tx.Now(), CreatedAt: tx.Now(),
	}
	if err := tx.CreateNotification(n); err != nil {
		return fmt.Errorf("queue notification of %s: %w", lic.ID, err)
	}
	return nil
}

// Notification retries: after attempt n the next is notifyBackoff·2^(n-1)
// later, at most notifyMaxBackoff; after notifyMaxAttempts the library
// gives up and records the failure.
const (
	notifyBackoff     = 30 * time.Second
	notifyMaxBackoff  = time.Hour
	notifyMaxAttempts = 10
	notifyLease       = 2 * time.Minute
	notifyBatch       = 50
	notifyTimeout     = 30 * time.Second
)

// SendNotifications sends the notifications that are due now and returns
// how many were sent. A failure is recorded and retried later; it never
// affects the delivery, which happened when the message was stored.
func (l *Library) SendNotifications(ctx context.Context) (int, error) {
	notifier := l.holderOpts().Notifier
	if notifier == nil {
		return 0, nil
	}
	var ns []*zhengzhao.Notification
	err := l.store.Update(ctx, func(tx zhengzhao.Tx) (err error) {
		ns, err = tx.ClaimNotifications(tx.Now(), tx.Now().Add(notifyLease), notifyBatch)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("claim notifications: %w", err)
	}
	sent := 0
	for _, n := range ns {
		nctx, cancel := context.WithTimeout(ctx, notifyTimeout)
		nerr := notifier.Notify(nctx, n)
		cancel()
		now := l.nowUTC()
		n.Attempts++
		switch {
		case nerr == nil:
			n.SentAt, n.LastError = &now, ""
			sent++
		case n.Attempts >= notifyMaxAttempts:
			n.FailedAt, n.LastError = &now, truncate(nerr.Error(), 500)
			l.log.ErrorContext(ctx, "notification failed for good", "notification", n.ID, "attempts", n.Attempts, "err", nerr)
		default:
			backoff := min(notifyBackoff<<(n.Attempts-1), notifyMaxBackoff)
			n.NextAttempt, n.LastError = now.Add(backoff), truncate(nerr.Error(), 500)
			l.log.WarnContext(ctx, "notification failed; will retry", "notification", n.ID, "attempts", n.Attempts, "retry_in", backoff, "err", nerr)
		}
		if err := l.store.Update(ctx, func(tx zhengzhao.Tx) error { return tx.UpdateNotification(n) }); err != nil {
			return sent, fmt.Errorf("record notification %s: %w", n.ID, err)
		}
	}
	return sent, nil
}

// RunNotifier sends due notifications every interval until ctx ends.
func (l *Library) RunNotifier(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		for {
			n, err := l.SendNotifications(ctx)
			if err != nil && ctx.Err() == nil {
				l.log.ErrorContext(ctx, "send notifications", "err", err)
			}
			if n < notifyBatch || err != nil {
				break
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

// WebhookNotifier posts each notification as JSON to a URL: the first
// notifier, behind which an operator puts an SMS gateway or an app push
// service. With a secret, the body is signed with HMAC-SHA256 in the
// header X-Zhengzhao-Signature: sha256=<hex>, so that the receiver can
// tell the library's calls from forged ones.
type WebhookNotifier struct {
	URL    string
	Secret string
	// Client sends the requests (default: a client with a 30 s timeout).
	Client *http.Client
}

var _ zhengzhao.Notifier = (*WebhookNotifier)(nil)

// webhookBody is what the webhook receives.
type webhookBody struct {
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
func (w *WebhookNotifier) Notify(ctx context.Context, n *zhengzhao.Notification) error {
	b, err := json.Marshal(webhookBody{ID: n.ID, Message: n.MessageID, Holder: n.Holder, Kind: n.Kind, License: n.License,
		TypeName: n.TypeName, DeliveredAt: n.DeliveredAt, Attempt: n.Attempts + 1})
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.URL, bytes.NewReader(b))
	if err != nil {
		return fmt.Errorf("webhook: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", n.ID) // a retry after a lost answer is the same notification
	if w.Secret != "" {
		mac := hmac.New(sha256.New, []byte(w.Secret))
		mac.Write(b)
		req.Header.Set("X-Zhengzhao-Signature", "sha256="+hex.EncodeToString(mac.Sum(nil)))
	}
	c := w.Client
	if c == nil {
		c = &http.Client{Timeout: notifyTimeout}
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
