package zhengzhao

import (
	"context"
	"time"
)

// Delivery (送达, Measures art. 9): issuing, updating or revoking a license
// puts a message in its holder's inbox in the same transaction as the
// change. The message's DeliveredAt is the legal delivery time.

// Kinds of delivery messages.
const (
	DeliveryIssued  = "issued"  // a new license was issued to the holder
	DeliveryUpdated = "updated" // a new version replaced the previous one
	DeliveryRevoked = "revoked" // the license was revoked (注销)
)

// InboxMessage is one delivery to a holder.
type InboxMessage struct {
	ID     string    `json:"id"`
	Holder HolderRef `json:"holder"`
	Kind   string    `json:"kind"`
	// License is the ID of the version the message is about.
	License     string `json:"license"`
	LicenseBase string `json:"license_base"`
	TypeName    string `json:"type_name"`
	Issuer      Party  `json:"issuer"`
	// Note says more: the revocation reason, the replaced version.
	Note string `json:"note,omitempty"`
	// DeliveredAt is when the change committed: the legal delivery time.
	DeliveredAt time.Time `json:"delivered_at"`
	// ReadAt is when the holder (or a proxy) first opened the message.
	ReadAt *time.Time `json:"read_at,omitempty"`
}

// InboxFilter selects a holder's messages.
type InboxFilter struct {
	Holder     HolderRef
	UnreadOnly bool
	Page
}

// Notification is a message to send outside the library (SMS, app push,
// a webhook) about a delivery. It is queued in the same transaction as the
// delivery (an outbox) and sent by a background worker with retries, so
// that a slow or failing channel never holds up issuing.
type Notification struct {
	ID        string    `json:"id"`
	MessageID string    `json:"message_id"`
	Holder    HolderRef `json:"holder"`
	Kind      string    `json:"kind"`
	License   string    `json:"license"`
	TypeName  string    `json:"type_name"`
	// DeliveredAt is the delivery time of the message.
	DeliveredAt time.Time `json:"delivered_at"`

	Attempts    int        `json:"attempts"`
	NextAttempt time.Time  `json:"next_attempt"`
	SentAt      *time.Time `json:"sent_at,omitempty"`
	// FailedAt is set when the worker gave up.
	FailedAt  *time.Time `json:"failed_at,omitempty"`
	LastError string     `json:"last_error,omitempty"`
	CreatedAt time.Time  `json:"created_at"`
}

// Notifier sends a notification outside the library: a webhook, an SMS
// gateway, an app push service. Notify returns nil once the channel has
// accepted the notification; an error makes the library retry later with
// back-off. Implementations must be safe for concurrent use.
type Notifier interface {
	Notify(ctx context.Context, n *Notification) error
}
