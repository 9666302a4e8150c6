package http

import "time"

// pagePair passes the page and one value to a partial template:
// {{template "statusname" (pair $ .Status)}}.
type pagePair struct {
	P Page
	V string
}

func init() {
	pageFuncs["pair"] = func(p Page, v string) pagePair { return pagePair{P: p, V: v} }
	// when formats an instant (or a *time.Time, nil: empty) in Beijing time, as holders read it.
	pageFuncs["when"] = func(v any) string {
		var t time.Time
		switch v := v.(type) {
		case time.Time:
			t = v
		case *time.Time:
			if v == nil {
				return ""
			}
			t = *v
		default:
			return ""
		}
		return t.In(time.FixedZone("CST", 8*3600)).Format("2006-01-02 15:04:05")
	}
}
