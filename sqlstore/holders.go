package sqlstore

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/zhengzhao-project/zhengzhao"
)

// The holder area: sessions, inbox, notifications, display keys,
// presentations and proxy authorizations (migration 0004). As elsewhere
// in this store, inserts use ON CONFLICT DO NOTHING so that a duplicate is
// an ECONFLICT result, not an aborted transaction.

// Holder sessions.

const sessionColumns = `hash, holder_id_type, holder_id, name, method, acting_for_id_type, acting_for_id,
	proxy_authorization, created_at, expires_at`

// CreateHolderSession stores a session. ECONFLICT when its hash exists.
func (t *Tx) CreateHolderSession(s *zhengzhao.HolderSession) error {
	const op = "CreateHolderSession"
	if err := t.checkText(op, s.Holder.IDType, s.Holder.ID, s.Name, s.Method, s.ActingFor.IDType, s.ActingFor.ID, s.ProxyAuthorization); err != nil {
		return err
	}
	return t.insertOne(op, "session exists", `INSERT INTO holder_sessions (`+sessionColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		s.Hash, s.Holder.IDType, s.Holder.ID, s.Name, s.Method, s.ActingFor.IDType, s.ActingFor.ID,
		s.ProxyAuthorization, s.CreatedAt, s.ExpiresAt)
}

// FindHolderSessionByHash returns a session. ENOTFOUND.
func (t *Tx) FindHolderSessionByHash(hash []byte) (*zhengzhao.HolderSession, error) {
	const op = "FindHolderSessionByHash"
	var s zhengzhao.HolderSession
	err := t.queryRow(`SELECT `+sessionColumns+` FROM holder_sessions WHERE hash = ?`, hash).Scan(
		&s.Hash, &s.Holder.IDType, &s.Holder.ID, &s.Name, &s.Method, &s.ActingFor.IDType, &s.ActingFor.ID,
		&s.ProxyAuthorization, &s.CreatedAt, &s.ExpiresAt)
	if err != nil {
		return nil, t.found(op, err, "session not found")
	}
	return &s, nil
}

// UpdateHolderSession stores whom the session acts for. ENOTFOUND.
func (t *Tx) UpdateHolderSession(s *zhengzhao.HolderSession) error {
	const op = "UpdateHolderSession"
	if err := t.checkText(op, s.ActingFor.IDType, s.ActingFor.ID, s.ProxyAuthorization); err != nil {
		return err
	}
	return t.update(op, "session not found", `UPDATE holder_sessions SET acting_for_id_type = ?, acting_for_id = ?,
		proxy_authorization = ? WHERE hash = ?`, s.ActingFor.IDType, s.ActingFor.ID, s.ProxyAuthorization, s.Hash)
}

// DeleteHolderSession removes a session.
func (t *Tx) DeleteHolderSession(hash []byte) error {
	_, err := t.exec("DeleteHolderSession", `DELETE FROM holder_sessions WHERE hash = ?`, hash)
	return err
}

// DeleteExpiredHolderSessions removes the sessions expired before now.
func (t *Tx) DeleteExpiredHolderSessions(now time.Time) (int, error) {
	n, err := t.exec("DeleteExpiredHolderSessions", `DELETE FROM holder_sessions WHERE expires_at < ?`, now)
	return int(n), err
}

// Inbox.

const inboxColumns = `id, holder_id_type, holder_id, kind, license, license_base, type_name, issuer_code, issuer_name,
	note, delivered_at, read_at`

// newestFirst is the key that lists rows by seq, newest first, through the
// ascending keyset pager: it is positive and falls as seq grows.
const newestFirst = "(4611686018427387904 - seq)"

func scanInboxMessage(row Row, extra ...any) (*zhengzhao.InboxMessage, error) {
	var m zhengzhao.InboxMessage
	if err := row.Scan(append([]any{&m.ID, &m.Holder.IDType, &m.Holder.ID, &m.Kind, &m.License, &m.LicenseBase, &m.TypeName,
		&m.Issuer.Code, &m.Issuer.Name, &m.Note, &m.DeliveredAt, &m.ReadAt}, extra...)...); err != nil {
		return nil, err
	}
	return &m, nil
}

// CreateInboxMessage stores a message. ECONFLICT when its ID exists.
func (t *Tx) CreateInboxMessage(m *zhengzhao.InboxMessage) error {
	const op = "CreateInboxMessage"
	if err := t.checkText(op, m.ID, m.Holder.IDType, m.Holder.ID, m.Kind, m.License, m.LicenseBase, m.TypeName,
		m.Issuer.Code, m.Issuer.Name, m.Note); err != nil {
		return err
	}
	return t.insertOne(op, fmt.Sprintf("message %s exists", m.ID), `INSERT INTO inbox_messages (`+inboxColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		m.ID, m.Holder.IDType, m.Holder.ID, m.Kind, m.License, m.LicenseBase, m.TypeName, m.Issuer.Code, m.Issuer.Name,
		m.Note, m.DeliveredAt, m.ReadAt)
}

// FindInboxMessageByID returns a message. ENOTFOUND.
func (t *Tx) FindInboxMessageByID(id string) (*zhengzhao.InboxMessage, error) {
	const op = "FindInboxMessageByID"
	m, err := scanInboxMessage(t.queryRow(`SELECT `+inboxColumns+` FROM inbox_messages WHERE id = ?`, id))
	if err != nil {
		return nil, t.found(op, err, fmt.Sprintf("message %s not found", id))
	}
	return m, nil
}

// FindInboxMessages returns the holder's messages, newest first.
func (t *Tx) FindInboxMessages(f zhengzhao.InboxFilter) ([]*zhengzhao.InboxMessage, int, string, error) {
	var w where
	w.add("holder_id = ? AND holder_id_type = ?", f.Holder.ID, f.Holder.IDType)
	if f.UnreadOnly {
		w.add("read_at IS NULL")
	}
	return list(t, "FindInboxMessages", "inbox_messages", inboxColumns, newestFirst, w, f.Page,
		func(r Row, k *int64) (*zhengzhao.InboxMessage, error) { return scanInboxMessage(r, k) })
}

// MarkInboxMessageRead records the first reading. ENOTFOUND.
func (t *Tx) MarkInboxMessageRead(id string, at time.Time) error {
	return t.update("MarkInboxMessageRead", "message "+id+" not found",
		`UPDATE inbox_messages SET read_at = COALESCE(read_at, ?) WHERE id = ?`, at, id)
}

// Notifications.

const notificationColumns = `id, message_id, holder_id_type, holder_id, kind, license, type_name, delivered_at,
	attempts, next_attempt, sent_at, failed_at, last_error, created_at`

func scanNotification(row Row) (*zhengzhao.Notification, error) {
	var n zhengzhao.Notification
	if err := row.Scan(&n.ID, &n.MessageID, &n.Holder.IDType, &n.Holder.ID, &n.Kind, &n.License, &n.TypeName, &n.DeliveredAt,
		&n.Attempts, &n.NextAttempt, &n.SentAt, &n.FailedAt, &n.LastError, &n.CreatedAt); err != nil {
		return nil, err
	}
	return &n, nil
}

// CreateNotification queues a notification. ECONFLICT when its ID exists.
func (t *Tx) CreateNotification(n *zhengzhao.Notification) error {
	const op = "CreateNotification"
	if err := t.checkText(op, n.ID, n.MessageID, n.Holder.IDType, n.Holder.ID, n.Kind, n.License, n.TypeName, n.LastError); err != nil {
		return err
	}
	return t.insertOne(op, fmt.Sprintf("notification %s exists", n.ID), `INSERT INTO notifications (`+notificationColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		n.ID, n.MessageID, n.Holder.IDType, n.Holder.ID, n.Kind, n.License, n.TypeName, n.DeliveredAt,
		n.Attempts, n.NextAttempt, n.SentAt, n.FailedAt, n.LastError, n.CreatedAt)
}

// FindNotificationByID returns a notification. ENOTFOUND.
func (t *Tx) FindNotificationByID(id string) (*zhengzhao.Notification, error) {
	const op = "FindNotificationByID"
	n, err := scanNotification(t.queryRow(`SELECT `+notificationColumns+` FROM notifications WHERE id = ?`, id))
	if err != nil {
		return nil, t.found(op, err, fmt.Sprintf("notification %s not found", id))
	}
	return n, nil
}

// ClaimNotifications returns due notifications and leases them until
// leaseUntil, in one statement (in no particular order). Where several
// servers share the database (PostgreSQL), SKIP LOCKED lets their workers
// claim different rows.
func (t *Tx) ClaimNotifications(now, leaseUntil time.Time, limit int) ([]*zhengzhao.Notification, error) {
	const op = "ClaimNotifications"
	rows, err := t.query(`UPDATE notifications SET next_attempt = ? WHERE seq IN (
			SELECT seq FROM notifications WHERE sent_at IS NULL AND failed_at IS NULL AND next_attempt <= ?
			ORDER BY next_attempt, seq LIMIT ?`+t.d.SkipLocked+`)
		RETURNING `+notificationColumns, leaseUntil.UTC().Truncate(time.Microsecond), now, limit)
	if err != nil {
		return nil, t.Err(op, err, "")
	}
	defer rows.Close()
	var ns []*zhengzhao.Notification
	for rows.Next() {
		n, err := scanNotification(rows)
		if err != nil {
			return nil, t.Err(op, err, "")
		}
		ns = append(ns, n)
	}
	if err := rows.Err(); err != nil {
		return nil, t.Err(op, err, "")
	}
	return ns, nil
}

// UpdateNotification stores the sending state. ENOTFOUND. The last error
// is a diagnostic quoted from elsewhere (a webhook's answer, cut to a
// length): what cannot be stored as text in it, invalid UTF-8 or NUL, is
// replaced by U+FFFD, so that a failing notification is still recorded —
// its attempts counted until it reaches failed_at — instead of refused.
func (t *Tx) UpdateNotification(n *zhengzhao.Notification) error {
	const op = "UpdateNotification"
	return t.update(op, "notification "+n.ID+" not found", `UPDATE notifications SET attempts = ?, next_attempt = ?,
		sent_at = ?, failed_at = ?, last_error = ? WHERE id = ?`,
		n.Attempts, n.NextAttempt, n.SentAt, n.FailedAt, SafeText(n.LastError), n.ID)
}

// Display keys.

// CreateDisplayKey stores a display-token key. ECONFLICT when its key ID
// exists.
func (t *Tx) CreateDisplayKey(k *zhengzhao.DisplayKey) error {
	const op = "CreateDisplayKey"
	if err := t.checkText(op, k.KID, k.Alg, k.CertPEM); err != nil {
		return err
	}
	return t.insertOne(op, fmt.Sprintf("display key %s exists", k.KID), `INSERT INTO display_keys
		(kid, alg, cert_pem, private_key, not_before, not_after, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		k.KID, k.Alg, k.CertPEM, k.PrivateKey, k.NotBefore, k.NotAfter, k.CreatedAt)
}

// FindDisplayKeys returns the display keys, oldest first.
func (t *Tx) FindDisplayKeys() ([]*zhengzhao.DisplayKey, error) {
	const op = "FindDisplayKeys"
	rows, err := t.query(`SELECT kid, alg, cert_pem, private_key, not_before, not_after, created_at
		FROM display_keys ORDER BY created_at, seq`)
	if err != nil {
		return nil, t.Err(op, err, "")
	}
	defer rows.Close()
	var ks []*zhengzhao.DisplayKey
	for rows.Next() {
		var k zhengzhao.DisplayKey
		if err := rows.Scan(&k.KID, &k.Alg, &k.CertPEM, &k.PrivateKey, &k.NotBefore, &k.NotAfter, &k.CreatedAt); err != nil {
			return nil, t.Err(op, err, "")
		}
		ks = append(ks, &k)
	}
	return ks, t.Err(op, rows.Err(), "")
}

// Presentations.

const presentationColumns = `nonce, license, license_base, holder_id_type, holder_id, fields, disclosure, purpose, actor,
	license_inline, fields_inline, created_at, expires_at`

// CreatePresentation stores a presentation. ECONFLICT when its nonce
// exists.
func (t *Tx) CreatePresentation(p *zhengzhao.Presentation) error {
	const op = "CreatePresentation"
	fields := p.Fields
	if fields == nil {
		fields = []zhengzhao.DisplayField{}
	}
	b, err := json.Marshal(fields)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	if err := t.checkText(op, p.Nonce, p.License, p.LicenseBase, p.Holder.IDType, p.Holder.ID, string(b), p.Purpose, p.Actor); err != nil {
		return err
	}
	return t.insertOne(op, "presentation exists", `INSERT INTO presentations (`+presentationColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		p.Nonce, p.License, p.LicenseBase, p.Holder.IDType, p.Holder.ID, string(b), p.Disclosure, p.Purpose, p.Actor,
		p.LicenseInline, p.FieldsInline, p.CreatedAt, p.ExpiresAt)
}

// FindPresentationByNonce returns a presentation. ENOTFOUND.
func (t *Tx) FindPresentationByNonce(nonce string) (*zhengzhao.Presentation, error) {
	const op = "FindPresentationByNonce"
	var (
		p      zhengzhao.Presentation
		fields string
	)
	err := t.queryRow(`SELECT `+presentationColumns+` FROM presentations WHERE nonce = ?`, nonce).Scan(
		&p.Nonce, &p.License, &p.LicenseBase, &p.Holder.IDType, &p.Holder.ID, &fields, &p.Disclosure, &p.Purpose, &p.Actor,
		&p.LicenseInline, &p.FieldsInline, &p.CreatedAt, &p.ExpiresAt)
	if err != nil {
		return nil, t.found(op, err, "presentation not found")
	}
	if err := json.Unmarshal([]byte(fields), &p.Fields); err != nil {
		return nil, fmt.Errorf("%s: fields: %w", op, err)
	}
	return &p, nil
}

// Proxy authorizations.

const proxyColumns = `id, holder_id_type, holder_id, holder_name, proxy_id_type, proxy_id, proxy_name, relation, note,
	created_at, created_by, expires_at, revoked_at, revoked_by`

func scanProxy(row Row) (*zhengzhao.ProxyAuthorization, error) {
	var p zhengzhao.ProxyAuthorization
	if err := row.Scan(&p.ID, &p.Holder.IDType, &p.Holder.ID, &p.HolderName, &p.Proxy.IDType, &p.Proxy.ID, &p.ProxyName,
		&p.Relation, &p.Note, &p.CreatedAt, &p.CreatedBy, &p.ExpiresAt, &p.RevokedAt, &p.RevokedBy); err != nil {
		return nil, err
	}
	return &p, nil
}

// CreateProxyAuthorization stores an authorization. ECONFLICT when its ID
// exists.
func (t *Tx) CreateProxyAuthorization(p *zhengzhao.ProxyAuthorization) error {
	const op = "CreateProxyAuthorization"
	if err := t.checkText(op, p.ID, p.Holder.IDType, p.Holder.ID, p.HolderName, p.Proxy.IDType, p.Proxy.ID, p.ProxyName,
		p.Relation, p.Note, p.CreatedBy, p.RevokedBy); err != nil {
		return err
	}
	return t.insertOne(op, fmt.Sprintf("authorization %s exists", p.ID), `INSERT INTO proxy_authorizations (`+proxyColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		p.ID, p.Holder.IDType, p.Holder.ID, p.HolderName, p.Proxy.IDType, p.Proxy.ID, p.ProxyName, p.Relation, p.Note,
		p.CreatedAt, p.CreatedBy, p.ExpiresAt, p.RevokedAt, p.RevokedBy)
}

// UpdateProxyAuthorization stores the revocation. ENOTFOUND.
func (t *Tx) UpdateProxyAuthorization(p *zhengzhao.ProxyAuthorization) error {
	const op = "UpdateProxyAuthorization"
	if err := t.checkText(op, p.RevokedBy); err != nil {
		return err
	}
	return t.update(op, "authorization "+p.ID+" not found",
		`UPDATE proxy_authorizations SET revoked_at = ?, revoked_by = ? WHERE id = ?`, p.RevokedAt, p.RevokedBy, p.ID)
}

// FindProxyAuthorizationByID returns an authorization. ENOTFOUND.
func (t *Tx) FindProxyAuthorizationByID(id string) (*zhengzhao.ProxyAuthorization, error) {
	const op = "FindProxyAuthorizationByID"
	p, err := scanProxy(t.queryRow(`SELECT `+proxyColumns+` FROM proxy_authorizations WHERE id = ?`, id))
	if err != nil {
		return nil, t.found(op, err, fmt.Sprintf("authorization %s not found", id))
	}
	return p, nil
}

// FindProxyAuthorizations returns the matching authorizations, oldest
// first.
func (t *Tx) FindProxyAuthorizations(f zhengzhao.ProxyFilter) ([]*zhengzhao.ProxyAuthorization, error) {
	const op = "FindProxyAuthorizations"
	var w where
	if !f.Holder.IsZero() {
		w.add("holder_id = ? AND holder_id_type = ?", f.Holder.ID, f.Holder.IDType)
	}
	if !f.Proxy.IsZero() {
		w.add("proxy_id = ? AND proxy_id_type = ?", f.Proxy.ID, f.Proxy.IDType)
	}
	if f.ActiveAt != nil {
		w.add("revoked_at IS NULL AND (expires_at IS NULL OR expires_at > ?)", *f.ActiveAt)
	}
	rows, err := t.query(`SELECT `+proxyColumns+` FROM proxy_authorizations WHERE `+w.String()+` ORDER BY seq`, w.args...)
	if err != nil {
		return nil, t.Err(op, err, "")
	}
	defer rows.Close()
	var ps []*zhengzhao.ProxyAuthorization
	for rows.Next() {
		p, err := scanProxy(rows)
		if err != nil {
			return nil, t.Err(op, err, "")
		}
		ps = append(ps, p)
	}
	return ps, t.Err(op, rows.Err(), "")
}
