// Measures art. 9 (电子送达): delivery to the holder's inbox, whose time is the legal
// delivery time, and notifications of it through the outbox.

package library

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/zhengzhao-project/zhengzhao"
)

// Delivery (送达, Measures art. 9). The commit steps in issue.go call
// deliver inside the transaction of the change, so the message commits
// with the change or not at all, and its delivery time is the change's
// commit time.

// inboxWriter is what deliver needs of a transaction.
type inboxWriter interface {
	Now() time.Time
	CreateInboxMessage(m *zhengzhao.InboxMessage) error
	CreateNotification(n *zhengzhao.Notification) error
}

// deliver puts a message about lic in its holder's inbox and, when a
// notifier is configured, queues a notification in the outbox.
func (l *core) deliver(tx inboxWriter, kind string, lic *zhengzhao.License, note string) error {
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
// how many were sent. A failure is recorded on its notification and
// retried later; it never affects the delivery, which happened when the
// message was stored. A notification whose outcome cannot be stored does
// not stop the batch: the others are sent and recorded, and the error is
// returned with the count.
func (l *Holders) SendNotifications(ctx context.Context) (int, error) {
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
	var errs []error
	for _, n := range ns {
		nctx, cancel := context.WithTimeout(ctx, notifyTimeout)
		nerr := notifier.Notify(nctx, n)
		cancel()
		if err := l.recordAttempt(ctx, n, nerr); err != nil {
			errs = append(errs, err)
		} else if nerr == nil {
			sent++
		}
	}
	return sent, errors.Join(errs...)
}

// recordAttempt stores the outcome nerr of an attempt to send n: sent,
// due again after a back-off, or failed for good. When the store refuses
// the record, it stores the attempt again without the error text, so that
// the notification still moves on towards failed_at instead of being
// claimed again for ever.
func (l *core) recordAttempt(ctx context.Context, n *zhengzhao.Notification, nerr error) error {
	now := l.nowUTC()
	n.Attempts++
	switch {
	case nerr == nil:
		n.SentAt, n.LastError = &now, ""
	case n.Attempts >= notifyMaxAttempts:
		n.FailedAt, n.LastError = &now, errorText(nerr)
		l.log.ErrorContext(ctx, "notification failed for good", "notification", n.ID, "attempts", n.Attempts, "err", nerr)
	default:
		backoff := min(notifyBackoff<<(n.Attempts-1), notifyMaxBackoff)
		n.NextAttempt, n.LastError = now.Add(backoff), errorText(nerr)
		l.log.WarnContext(ctx, "notification failed; will retry", "notification", n.ID, "attempts", n.Attempts, "retry_in", backoff, "err", nerr)
	}
	store := func() error {
		return l.store.Update(ctx, func(tx zhengzhao.Tx) error { return tx.UpdateNotification(n) })
	}
	err := store()
	if err != nil && n.LastError != "" {
		l.log.ErrorContext(ctx, "record notification; storing it without the error text", "notification", n.ID, "err", err)
		n.LastError = errorTextLost
		err = store()
	}
	if err != nil {
		return fmt.Errorf("record notification %s: %w", n.ID, err)
	}
	return nil
}

// errorText is the text of a notifier's error as a notification keeps it:
// at most maxErrorText characters. What cannot be stored as text (invalid
// UTF-8, NUL) the store's UpdateNotification replaces (sqlstore.SafeText).
func errorText(err error) string {
	return truncate(err.Error(), maxErrorText)
}

// maxErrorText is how many characters of an error a notification keeps;
// errorTextLost replaces an error text the store refused.
const (
	maxErrorText  = 500
	errorTextLost = "the error text could not be stored"
)

// RunNotifier sends due notifications every interval until ctx ends.
func (l *Holders) RunNotifier(ctx context.Context, interval time.Duration) {
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

// truncate cuts s to at most n characters (runes, never in the middle of
// one: a cut UTF-8 sequence is not text, and PostgreSQL refuses it).
func truncate(s string, n int) string {
	if len(s) <= n {
		return s // n bytes are at most n runes
	}
	i := 0
	for j := range s {
		if i == n {
			return s[:j]
		}
		i++
	}
	return s
}
