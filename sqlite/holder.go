package sqlite

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/zhengzhao-project/zhengzhao"
)

// The holder area: sessions, inbox, notifications, display keys,
// presentations and proxy authorizations (migration 0004).

// Holder sessions.

const sessionColumns = `hash, holder_id_type, holder_id, name, method, acting_for_id_type, acting_for_id,
	proxy_authorization, created_at, expires_at`

// CreateHolderSession stores a session. ECONFLICT when its hash exists.
func (tx *Tx) CreateHolderSession(s *zhengzhao.HolderSession) error {
	_, err := tx.exec(`INSERT INTO holder_sessions (`+sessionColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		s.Hash, s.Holder.IDType, s.Holder.ID, s.Name, s.Method, s.ActingFor.IDType, s.ActingFor.ID,
		s.ProxyAuthorization, formatTime(s.CreatedAt), formatTime(s.ExpiresAt))
	return mapErr("sqlite.CreateHolderSession", err, "session exists")
}

// FindHolderSessionByHash returns a session. ENOTFOUND.
func (tx *Tx) FindHolderSessionByHash(hash []byte) (*zhengzhao.HolderSession, error) {
	const op = "sqlite.FindHolderSessionByHash"
	var (
		s                zhengzhao.HolderSession
		created, expires string
	)
	err := tx.queryRow(`SELECT `+sessionColumns+` FROM holder_sessions WHERE hash = ?`, hash).Scan(
		&s.Hash, &s.Holder.IDType, &s.Holder.ID, &s.Name, &s.Method, &s.ActingFor.IDType, &s.ActingFor.ID,
		&s.ProxyAuthorization, &created, &expires)
	if err != nil {
		return nil, notFound(op, err, "session not found")
	}
	if s.CreatedAt, err = parseTime(created); err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	if s.ExpiresAt, err = parseTime(expires); err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	return &s, nil
}

// UpdateHolderSession stores whom the session acts for. ENOTFOUND.
func (tx *Tx) UpdateHolderSession(s *zhengzhao.HolderSession) error {
	const op = "sqlite.UpdateHolderSession"
	res, err := tx.exec(`UPDATE holder_sessions SET acting_for_id_type = ?, acting_for_id = ?, proxy_authorization = ? WHERE hash = ?`,
		s.ActingFor.IDType, s.ActingFor.ID, s.ProxyAuthorization, s.Hash)
	return affected(op, res, err, "session not found")
}

// DeleteHolderSession removes a session.
func (tx *Tx) DeleteHolderSession(hash []byte) error {
	_, err := tx.exec(`DELETE FROM holder_sessions WHERE hash = ?`, hash)
	return mapErr("sqlite.DeleteHolderSession", err, "")
}

// DeleteExpiredHolderSessions removes the sessions expired before now.
func (tx *Tx) DeleteExpiredHolderSessions(now time.Time) (int, error) {
	const op = "sqlite.DeleteExpiredHolderSessions"
	res, err := tx.exec(`DELETE FROM holder_sessions WHERE expires_at < ?`, formatTime(now))
	if err != nil {
		return 0, mapErr(op, err, "")
	}
	n, err := res.RowsAffected()
	return int(n), mapErr(op, err, "")
}

// affected maps the result of an UPDATE of one row: none is ENOTFOUND.
func affected(op string, res sql.Result, err error, missing string) error {
	if err != nil {
		return mapErr(op, err, "")
	}
	n, err := res.RowsAffected()
	if err != nil {
		return mapErr(op, err, "")
	}
	if n == 0 {
		return &zhengzhao.Error{Code: zhengzhao.ENOTFOUND, Message: missing, Op: op}
	}
	return nil
}

// Inbox.

const inboxColumns = `seq, id, holder_id_type, holder_id, kind, license, license_base, type_name, issuer_code, issuer_name,
	note, delivered_at, read_at`

// newestFirst is the key that lists rows by seq, newest first, through the
// ascending keyset pager: it is positive and falls as seq grows.
const newestFirst = "(4611686018427387904 - seq)"

func scanInboxMessage(s scanner) (*zhengzhao.InboxMessage, int64, error) {
	var (
		m         zhengzhao.InboxMessage
		seq       int64
		delivered string
		read      sql.NullString
	)
	if err := s.Scan(&seq, &m.ID, &m.Holder.IDType, &m.Holder.ID, &m.Kind, &m.License, &m.LicenseBase, &m.TypeName,
		&m.Issuer.Code, &m.Issuer.Name, &m.Note, &delivered, &read); err != nil {
		return nil, 0, err
	}
	var err error
	if m.DeliveredAt, err = parseTime(delivered); err != nil {
		return nil, 0, err
	}
	if m.ReadAt, err = parseNullTime(read); err != nil {
		return nil, 0, err
	}
	return &m, 4611686018427387904 - seq, nil
}

// CreateInboxMessage stores a message. ECONFLICT when its ID exists.
func (tx *Tx) CreateInboxMessage(m *zhengzhao.InboxMessage) error {
	_, err := tx.exec(`INSERT INTO inbox_messages (id, holder_id_type, holder_id, kind, license, license_base, type_name,
		issuer_code, issuer_name, note, delivered_at, read_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		m.ID, m.Holder.IDType, m.Holder.ID, m.Kind, m.License, m.LicenseBase, m.TypeName, m.Issuer.Code, m.Issuer.Name,
		m.Note, formatTime(m.DeliveredAt), nullTime(m.ReadAt))
	return mapErr("sqlite.CreateInboxMessage", err, fmt.Sprintf("message %s exists", m.ID))
}

// FindInboxMessageByID returns a message. ENOTFOUND.
func (tx *Tx) FindInboxMessageByID(id string) (*zhengzhao.InboxMessage, error) {
	m, _, err := scanInboxMessage(tx.queryRow(`SELECT `+inboxColumns+` FROM inbox_messages WHERE id = ?`, id))
	if err != nil {
		return nil, notFound("sqlite.FindInboxMessageByID", err, "message %s not found", id)
	}
	return m, nil
}

// FindInboxMessages returns the holder's messages, newest first.
func (tx *Tx) FindInboxMessages(f zhengzhao.InboxFilter) ([]*zhengzhao.InboxMessage, int, string, error) {
	var w where
	w.add("holder_id = ? AND holder_id_type = ?", f.Holder.ID, f.Holder.IDType)
	if f.UnreadOnly {
		w.add("read_at IS NULL")
	}
	return list(tx, "sqlite.FindInboxMessages", "inbox_messages", inboxColumns, newestFirst, w, f.Page, scanInboxMessage)
}

// MarkInboxMessageRead records the first reading. ENOTFOUND.
func (tx *Tx) MarkInboxMessageRead(id string, at time.Time) error {
	const op = "sqlite.MarkInboxMessageRead"
	res, err := tx.exec(`UPDATE inbox_messages SET read_at = COALESCE(read_at, ?) WHERE id = ?`, formatTime(at), id)
	return affected(op, res, err, "message "+id+" not found")
}

// Notifications.

const notificationColumns = `id, message_id, holder_id_type, holder_id, kind, license, type_name, delivered_at,
	attempts, next_attempt, sent_at, failed_at, last_error, created_at`

func scanNotification(s scanner) (*zhengzhao.Notification, error) {
	var (
		n                        zhengzhao.Notification
		delivered, next, created string
		sent, failed             sql.NullString
	)
	if err := s.Scan(&n.ID, &n.MessageID, &n.Holder.IDType, &n.Holder.ID, &n.Kind, &n.License, &n.TypeName, &delivered,
		&n.Attempts, &next, &sent, &failed, &n.LastError, &created); err != nil {
		return nil, err
	}
	var err error
	for _, p := range []struct {
		dst *time.Time
		src string
	}{{&n.DeliveredAt, delivered}, {&n.NextAttempt, next}, {&n.CreatedAt, created}} {
		if *p.dst, err = parseTime(p.src); err != nil {
			return nil, err
		}
	}
	if n.SentAt, err = parseNullTime(sent); err != nil {
		return nil, err
	}
	if n.FailedAt, err = parseNullTime(failed); err != nil {
		return nil, err
	}
	return &n, nil
}

// CreateNotification queues a notification. ECONFLICT when its ID exists.
func (tx *Tx) CreateNotification(n *zhengzhao.Notification) error {
	_, err := tx.exec(`INSERT INTO notifications (`+notificationColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		n.ID, n.MessageID, n.Holder.IDType, n.Holder.ID, n.Kind, n.License, n.TypeName, formatTime(n.DeliveredAt),
		n.Attempts, formatTime(n.NextAttempt), nullTime(n.SentAt), nullTime(n.FailedAt), n.LastError, formatTime(n.CreatedAt))
	return mapErr("sqlite.CreateNotification", err, fmt.Sprintf("notification %s exists", n.ID))
}

// FindNotificationByID returns a notification. ENOTFOUND.
func (tx *Tx) FindNotificationByID(id string) (*zhengzhao.Notification, error) {
	n, err := scanNotification(tx.queryRow(`SELECT `+notificationColumns+` FROM notifications WHERE id = ?`, id))
	if err != nil {
		return nil, notFound("sqlite.FindNotificationByID", err, "notification %s not found", id)
	}
	return n, nil
}

// ClaimNotifications returns due notifications and leases them until
// leaseUntil. SQLite has one writer, so the select and the update cannot
// interleave with another worker's.
func (tx *Tx) ClaimNotifications(now, leaseUntil time.Time, limit int) ([]*zhengzhao.Notification, error) {
	const op = "sqlite.ClaimNotifications"
	rows, err := tx.query(`SELECT `+notificationColumns+` FROM notifications
		WHERE sent_at IS NULL AND failed_at IS NULL AND next_attempt <= ? ORDER BY next_attempt, seq LIMIT ?`,
		formatTime(now), limit)
	if err != nil {
		return nil, mapErr(op, err, "")
	}
	var ns []*zhengzhao.Notification
	for rows.Next() {
		n, err := scanNotification(rows)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("%s: %w", op, err)
		}
		ns = append(ns, n)
	}
	if err := rows.Err(); err != nil {
		rows.Close()
		return nil, mapErr(op, err, "")
	}
	rows.Close()
	for _, n := range ns {
		n.NextAttempt = leaseUntil.UTC().Truncate(time.Microsecond)
		if _, err := tx.exec(`UPDATE notifications SET next_attempt = ? WHERE id = ?`, formatTime(n.NextAttempt), n.ID); err != nil {
			return nil, mapErr(op, err, "")
		}
	}
	return ns, nil
}

// UpdateNotification stores the sending state. ENOTFOUND.
func (tx *Tx) UpdateNotification(n *zhengzhao.Notification) error {
	const op = "sqlite.UpdateNotification"
	res, err := tx.exec(`UPDATE notifications SET attempts = ?, next_attempt = ?, sent_at = ?, failed_at = ?, last_error = ? WHERE id = ?`,
		n.Attempts, formatTime(n.NextAttempt), nullTime(n.SentAt), nullTime(n.FailedAt), n.LastError, n.ID)
	return affected(op, res, err, "notification "+n.ID+" not found")
}

// Display keys.

// CreateDisplayKey stores a display-token key. ECONFLICT when its key ID
// exists.
func (tx *Tx) CreateDisplayKey(k *zhengzhao.DisplayKey) error {
	_, err := tx.exec(`INSERT INTO display_keys (kid, alg, cert_pem, private_key, not_before, not_after, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, k.KID, k.Alg, k.CertPEM, k.PrivateKey,
		formatTime(k.NotBefore), formatTime(k.NotAfter), formatTime(k.CreatedAt))
	return mapErr("sqlite.CreateDisplayKey", err, fmt.Sprintf("display key %s exists", k.KID))
}

// FindDisplayKeys returns the display keys, oldest first.
func (tx *Tx) FindDisplayKeys() ([]*zhengzhao.DisplayKey, error) {
	const op = "sqlite.FindDisplayKeys"
	rows, err := tx.query(`SELECT kid, alg, cert_pem, private_key, not_before, not_after, created_at FROM display_keys ORDER BY created_at, seq`)
	if err != nil {
		return nil, mapErr(op, err, "")
	}
	defer rows.Close()
	var ks []*zhengzhao.DisplayKey
	for rows.Next() {
		var (
			k         zhengzhao.DisplayKey
			nb, na, c string
		)
		if err := rows.Scan(&k.KID, &k.Alg, &k.CertPEM, &k.PrivateKey, &nb, &na, &c); err != nil {
			return nil, mapErr(op, err, "")
		}
		if k.NotBefore, err = parseTime(nb); err == nil {
			if k.NotAfter, err = parseTime(na); err == nil {
				k.CreatedAt, err = parseTime(c)
			}
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", op, err)
		}
		ks = append(ks, &k)
	}
	return ks, mapErr(op, rows.Err(), "")
}

// Presentations.

// CreatePresentation stores a presentation. ECONFLICT when its nonce
// exists.
func (tx *Tx) CreatePresentation(p *zhengzhao.Presentation) error {
	const op = "sqlite.CreatePresentation"
	fields, err := jsonText(nonNil(p.Fields))
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	_, err = tx.exec(`INSERT INTO presentations (nonce, license, license_base, holder_id_type, holder_id, fields, disclosure,
		purpose, actor, license_inline, fields_inline, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		p.Nonce, p.License, p.LicenseBase, p.Holder.IDType, p.Holder.ID, fields, p.Disclosure, p.Purpose, p.Actor,
		p.LicenseInline, p.FieldsInline, formatTime(p.CreatedAt), formatTime(p.ExpiresAt))
	return mapErr(op, err, "presentation exists")
}

// FindPresentationByNonce returns a presentation. ENOTFOUND.
func (tx *Tx) FindPresentationByNonce(nonce string) (*zhengzhao.Presentation, error) {
	const op = "sqlite.FindPresentationByNonce"
	var (
		p                zhengzhao.Presentation
		fields           string
		created, expires string
	)
	err := tx.queryRow(`SELECT nonce, license, license_base, holder_id_type, holder_id, fields, disclosure, purpose, actor,
		license_inline, fields_inline, created_at, expires_at FROM presentations WHERE nonce = ?`, nonce).Scan(
		&p.Nonce, &p.License, &p.LicenseBase, &p.Holder.IDType, &p.Holder.ID, &fields, &p.Disclosure, &p.Purpose, &p.Actor,
		&p.LicenseInline, &p.FieldsInline, &created, &expires)
	if err != nil {
		return nil, notFound(op, err, "presentation not found")
	}
	if err := json.Unmarshal([]byte(fields), &p.Fields); err != nil {
		return nil, fmt.Errorf("%s: fields: %w", op, err)
	}
	if p.CreatedAt, err = parseTime(created); err == nil {
		p.ExpiresAt, err = parseTime(expires)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	return &p, nil
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// Proxy authorizations.

const proxyColumns = `id, holder_id_type, holder_id, holder_name, proxy_id_type, proxy_id, proxy_name, relation, note,
	created_at, created_by, expires_at, revoked_at, revoked_by`

func scanProxy(s scanner) (*zhengzhao.ProxyAuthorization, error) {
	var (
		p                zhengzhao.ProxyAuthorization
		created          string
		expires, revoked sql.NullString
	)
	if err := s.Scan(&p.ID, &p.Holder.IDType, &p.Holder.ID, &p.HolderName, &p.Proxy.IDType, &p.Proxy.ID, &p.ProxyName,
		&p.Relation, &p.Note, &created, &p.CreatedBy, &expires, &revoked, &p.RevokedBy); err != nil {
		return nil, err
	}
	var err error
	if p.CreatedAt, err = parseTime(created); err != nil {
		return nil, err
	}
	if p.ExpiresAt, err = parseNullTime(expires); err != nil {
		return nil, err
	}
	if p.RevokedAt, err = parseNullTime(revoked); err != nil {
		return nil, err
	}
	return &p, nil
}

// CreateProxyAuthorization stores an authorization. ECONFLICT when its ID
// exists.
func (tx *Tx) CreateProxyAuthorization(p *zhengzhao.ProxyAuthorization) error {
	_, err := tx.exec(`INSERT INTO proxy_authorizations (`+proxyColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		p.ID, p.Holder.IDType, p.Holder.ID, p.HolderName, p.Proxy.IDType, p.Proxy.ID, p.ProxyName, p.Relation, p.Note,
		formatTime(p.CreatedAt), p.CreatedBy, nullTime(p.ExpiresAt), nullTime(p.RevokedAt), p.RevokedBy)
	return mapErr("sqlite.CreateProxyAuthorization", err, fmt.Sprintf("authorization %s exists", p.ID))
}

// UpdateProxyAuthorization stores the revocation. ENOTFOUND.
func (tx *Tx) UpdateProxyAuthorization(p *zhengzhao.ProxyAuthorization) error {
	const op = "sqlite.UpdateProxyAuthorization"
	res, err := tx.exec(`UPDATE proxy_authorizations SET revoked_at = ?, revoked_by = ? WHERE id = ?`,
		nullTime(p.RevokedAt), p.RevokedBy, p.ID)
	return affected(op, res, err, "authorization "+p.ID+" not found")
}

// FindProxyAuthorizationByID returns an authorization. ENOTFOUND.
func (tx *Tx) FindProxyAuthorizationByID(id string) (*zhengzhao.ProxyAuthorization, error) {
	p, err := scanProxy(tx.queryRow(`SELECT `+proxyColumns+` FROM proxy_authorizations WHERE id = ?`, id))
	if err != nil {
		return nil, notFound("sqlite.FindProxyAuthorizationByID", err, "authorization %s not found", id)
	}
	return p, nil
}

// FindProxyAuthorizations returns the matching authorizations, oldest
// first.
func (tx *Tx) FindProxyAuthorizations(f zhengzhao.ProxyFilter) ([]*zhengzhao.ProxyAuthorization, error) {
	const op = "sqlite.FindProxyAuthorizations"
	var w where
	if !f.Holder.IsZero() {
		w.add("holder_id = ? AND holder_id_type = ?", f.Holder.ID, f.Holder.IDType)
	}
	if !f.Proxy.IsZero() {
		w.add("proxy_id = ? AND proxy_id_type = ?", f.Proxy.ID, f.Proxy.IDType)
	}
	if f.ActiveAt != nil {
		t := formatTime(*f.ActiveAt)
		w.add("revoked_at IS NULL AND (expires_at IS NULL OR expires_at > ?)", t)
	}
	rows, err := tx.query(`SELECT `+proxyColumns+` FROM proxy_authorizations`+w.String()+` ORDER BY seq`, w.args...)
	if err != nil {
		return nil, mapErr(op, err, "")
	}
	defer rows.Close()
	var ps []*zhengzhao.ProxyAuthorization
	for rows.Next() {
		p, err := scanProxy(rows)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", op, err)
		}
		ps = append(ps, p)
	}
	return ps, mapErr(op, rows.Err(), "")
}
