package main

import (
	"log/slog"
	"os"
	"strconv"

	"github.com/spf13/pflag"
)

// addSupervisionFlags registers the flags of the supervision area: the
// objection deadline and the font of PDF reports.
func addSupervisionFlags(f *pflag.FlagSet, c *Config) {
	days := c.ObjectionWorkdays
	if v, err := strconv.Atoi(envOr("ZHENGZHAO_OBJECTION_DAYS", "")); err == nil && v > 0 {
		days = v
	}
	f.IntVar(&c.ObjectionWorkdays, "objection-days", days, "working days an issuer has to answer an objection (env ZHENGZHAO_OBJECTION_DAYS)")
	f.StringVar(&c.ReportFont, "report-font", envOr("ZHENGZHAO_REPORT_FONT", c.ReportFont),
		"TrueType font with CJK glyphs for PDF reports, e.g. from Debian's fonts-lxgw-wenkai (env ZHENGZHAO_REPORT_FONT)")
}

// reportFont returns the configured report font, or "" (PDF reports off)
// with a warning when the file cannot be read.
func reportFont(c Config, log *slog.Logger) string {
	if c.ReportFont == "" {
		return ""
	}
	if _, err := os.Stat(c.ReportFont); err != nil {
		log.Warn("PDF reports are off: no report font", "font", c.ReportFont, "err", err,
			"fix", "apt-get install fonts-lxgw-wenkai, or --report-font")
		return ""
	}
	return c.ReportFont
}
