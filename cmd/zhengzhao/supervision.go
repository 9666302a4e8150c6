package main

import (
	"strconv"

	"github.com/spf13/pflag"
)

// addSupervisionFlags registers the flags of the supervision area: the
// objection deadline.
func addSupervisionFlags(f *pflag.FlagSet, c *Config) {
	days := c.ObjectionWorkdays
	if v, err := strconv.Atoi(envOr("ZHENGZHAO_OBJECTION_DAYS", "")); err == nil && v > 0 {
		days = v
	}
	f.IntVar(&c.ObjectionWorkdays, "objection-days", days, "working days an issuer has to answer an objection (env ZHENGZHAO_OBJECTION_DAYS)")
}
