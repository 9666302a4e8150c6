package main

import (
	"time"

	"github.com/zhengzhao-project/zhengzhao"
)

// formatDeadline writes a deadline instant in Beijing time. A deadline at
// the end of a working day is stored as the next midnight; it is written
// as that day's 24:00, since "2026-12-08 00:00" reads as a day late.
func formatDeadline(t time.Time) string {
	t = t.In(zhengzhao.ChinaTime)
	if t.Hour() == 0 && t.Minute() == 0 && t.Second() == 0 && t.Nanosecond() == 0 {
		return t.AddDate(0, 0, -1).Format(time.DateOnly) + " 24:00 (end of day, Beijing time)"
	}
	return t.Format(time.DateTime)
}
