package sqlstore

import (
	"encoding/base64"
	"strconv"
	"strings"

	"github.com/zhengzhao-project/zhengzhao"
)

// Cursors are opaque to callers: base64url of the last row's key, a
// non-negative integer.

// EncodeCursor returns the cursor of the page after the row with key.
func EncodeCursor(key int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(key, 10)))
}

// DecodeCursor returns the key after which the page starts, -1 for the
// first page (""). Anything EncodeCursor did not make is EINVALID.
func DecodeCursor(op, cursor string) (int64, error) {
	if cursor == "" {
		return -1, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(cursor)
	var key int64
	if err == nil {
		key, err = strconv.ParseInt(string(b), 10, 64)
	}
	if err != nil || key < 0 || EncodeCursor(key) != cursor {
		return 0, &zhengzhao.Error{Code: zhengzhao.EINVALID, Message: "invalid cursor", Op: op}
	}
	return key, nil
}

// where builds the WHERE clause of a list query.
type where struct {
	conds []string
	args  []any
}

// add appends a condition with its ? arguments.
func (w *where) add(cond string, args ...any) {
	w.conds = append(w.conds, cond)
	w.args = append(w.args, args...)
}

func (w *where) String() string {
	if len(w.conds) == 0 {
		return "TRUE"
	}
	return strings.Join(w.conds, " AND ")
}

// listSQL returns the statements list runs: the page, whose last two
// arguments are the key after which it starts and the limit, and the count.
func listSQL(table, columns, key string, w where) (page, count string) {
	cond := w.String()
	page = "SELECT " + columns + ", " + key + " FROM " + table + " WHERE " + cond + " AND " + key + " > ? ORDER BY " + key + " LIMIT ?"
	return page, "SELECT COUNT(*) FROM " + table + " WHERE " + cond
}

// list returns one page of a list: the rows of table matching w after the
// cursor, ordered by key (an integer expression), at most p.Limit of them,
// scanned by scan from columns followed by the key, with the total number
// of matches and the next page's cursor. A Conn that is a CountQuerier
// counts in the same round trip; otherwise the count is a second
// statement, left out when the page is the first and the last, where it
// is the page's length.
func list[T any](t *Tx, op, table, columns, key string, w where, p zhengzhao.Page, scan func(Row, *int64) (T, error)) ([]T, int, string, error) {
	p = p.Normalize()
	after, err := DecodeCursor(t.d.Name+"."+op, p.Cursor)
	if err != nil {
		return nil, 0, "", err
	}
	page, count := listSQL(table, columns, key, w)
	n := len(w.args)
	pageArgs := append(w.args[:n:n], after, p.Limit+1)

	var (
		total   int64 = -1
		results Rows
	)
	if cq, ok := t.c.(CountQuerier); ok {
		total, results, err = cq.QueryCounted(t.ctx, t.d.Rebind(count), t.d.args(w.args), t.d.Rebind(page), t.d.args(pageArgs))
		if err == nil && t.d.Dest != nil {
			results = rows{results, t.d}
		}
	} else {
		results, err = t.query(page, pageArgs...)
	}
	if err != nil {
		return nil, 0, "", t.Err(op, err, "")
	}
	defer results.Close()
	var (
		items []T
		keys  []int64
	)
	for results.Next() {
		var k int64
		item, err := scan(results, &k)
		if err != nil {
			return nil, 0, "", t.Err(op, err, "")
		}
		items = append(items, item)
		keys = append(keys, k)
	}
	if err := results.Err(); err != nil {
		return nil, 0, "", t.Err(op, err, "")
	}
	results.Close()
	next := ""
	if len(items) > p.Limit {
		items = items[:p.Limit]
		next = EncodeCursor(keys[p.Limit-1])
	}
	if total < 0 {
		total = int64(len(items))
		if after >= 0 || next != "" {
			if err := t.queryRow(count, w.args...).Scan(&total); err != nil {
				return nil, 0, "", t.Err(op, err, "")
			}
		}
	}
	return items, int(total), next, nil
}
