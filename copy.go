package zhengzhao

// CopyReadTx reads, a page at a time and in a stable order, the records
// that the areas' own reads do not list in full (they list one recipient's
// notices, one holder's inbox, a notification by ID …), so that
// library.Copy can move a whole library to another store. Pages do not
// count their matches: a copy walks tables of millions of rows. Each
// method returns the page and the cursor of the next one ("" on the last
// page); a cursor the store did not hand out is EINVALID.
type CopyReadTx interface {
	// FindAllNotices returns every recipient's notices in the order stored.
	FindAllNotices(p Page) ([]*Notice, string, error)
	// FindAllInboxMessages returns every holder's delivery messages in the
	// order delivered (oldest first).
	FindAllInboxMessages(p Page) ([]*InboxMessage, string, error)
	// FindAllNotifications returns every notification, sent or not, in
	// the order queued.
	FindAllNotifications(p Page) ([]*Notification, string, error)
	// FindAllPresentations returns every presentation, by nonce.
	FindAllPresentations(p Page) ([]*Presentation, string, error)
	// FindAllProxyAuthorizations returns every proxy authorization,
	// revoked or not, oldest first.
	FindAllProxyAuthorizations(p Page) ([]*ProxyAuthorization, string, error)
	// FindAllGrants returns every consent grant, oldest first.
	FindAllGrants(p Page) ([]*Grant, string, error)
	// FindAllStats returns every supervision counter as stored, by unit,
	// granularity, period, metric and type.
	FindAllStats(p Page) ([]*StatCounter, string, error)
}

// CopyTx writes what library.Copy cannot write through the areas' own
// methods without changing it.
type CopyTx interface {
	// PutStats stores supervision counters as they are: unlike AddStats
	// it does not add a delta to the day's, month's and year's counters.
	// EINVALID when a counter is not one AddStats could have made,
	// ECONFLICT when one of them exists.
	PutStats(cs []*StatCounter) error
}

// StatCounter is one stored supervision counter: the sum of the deltas
// (StatDelta) of a unit, metric and license type over one period of a
// granularity (StatDaily, StatMonthly, StatYearly).
type StatCounter struct {
	Unit        string
	Granularity string
	Period      string
	Metric      string
	Type        string
	N           int64
	Sum         int64
}

// Validate checks that c is a counter AddStats could have made: a known
// granularity with a period of its form, a metric, and a license type only
// on yearly counters.
func (c *StatCounter) Validate() error {
	fe := newFieldErrors()
	periodLen := map[string]int{StatDaily: 10, StatMonthly: 7, StatYearly: 4}
	n, ok := periodLen[c.Granularity]
	if !ok {
		fe.add("granularity", "one of d, m, y")
	} else if len(c.Period) != n {
		fe.add("period", "YYYY-MM-DD, YYYY-MM or YYYY as the granularity says")
	}
	if c.Metric == "" {
		fe.add("metric", "required")
	}
	if c.Type != "" && c.Granularity != StatYearly {
		fe.add("type", "only yearly counters keep the license type")
	}
	return Invalid("invalid supervision counter", fe.errors())
}
