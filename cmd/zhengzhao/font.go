package main

import (
	"github.com/spf13/pflag"
)

// addFontFlags registers --font, the one font of printable copies and PDF
// reports, and its deprecated alias --report-font.
func addFontFlags(f *pflag.FlagSet, c *Config) {
	def := envOr("ZHENGZHAO_FONT", envOr("ZHENGZHAO_REPORT_FONT", c.Font))
	f.StringVar(&c.Font, "font", def, "TrueType (glyf) CJK font for printable copies and PDF reports, e.g. Debian's "+
		"/usr/share/fonts/truetype/lxgw-wenkai/LXGWWenKai-Regular.ttf for every character (env ZHENGZHAO_FONT; default: the built-in GB2312 subset)")
	f.StringVar(&c.Font, "report-font", def, "deprecated alias of --font")
	_ = f.MarkDeprecated("report-font", "use --font")
}
