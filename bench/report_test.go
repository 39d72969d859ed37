package bench

import (
	"io"
	"strconv"
	"testing"
	"time"

	"partnerhub"
	"partnerhub/dataset"
	"partnerhub/i18n"
	"partnerhub/report"
	"partnerhub/worldmap"
)

// BenchmarkReport renders the annual report of 2024 for the built-in 16
// partners, with six years of mobility for each, in each language: the
// whole document (layout, the map, font subsetting, compression and the
// tagging update), as GET /{lang}/report/2024.pdf does once per version of
// the data. The bar is 2 s.
func BenchmarkReport(b *testing.B) {
	c, err := dataset.Builtin()
	if err != nil {
		b.Fatal(err)
	}
	msgs, err := i18n.Load()
	if err != nil {
		b.Fatal(err)
	}
	w, err := worldmap.Load()
	if err != nil {
		b.Fatal(err)
	}
	world := w.Draw(report.WorldView)
	x := partnerhub.NewIndex(c.Public())
	var mobility []partnerhub.StatsRow
	for i, p := range x.Partners(partnerhub.PartnerFilter{}) {
		for y := 2019; y <= 2024; y++ {
			mobility = append(mobility,
				partnerhub.StatsRow{Keys: []string{p.Slug, strconv.Itoa(y), "outbound"}, Total: int64(10 + i + y - 2019)},
				partnerhub.StatsRow{Keys: []string{p.Slug, strconv.Itoa(y), "inbound"}, Total: int64(5 + 2*i)})
		}
	}
	if n := len(x.Partners(partnerhub.PartnerFilter{})); n != 16 {
		b.Fatalf("%d partners, want 16", n)
	}
	for _, lang := range partnerhub.Langs {
		b.Run(string(lang), func(b *testing.B) {
			in := report.Input{Lang: lang, Year: 2024, Index: x, P: msgs.Printer(lang), Own: true, World: world,
				Mobility: mobility, Date: time.Date(2025, 4, 1, 0, 0, 0, 0, time.UTC)}
			cw := &countWriter{}
			for b.Loop() {
				if err := report.Write(cw, in); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(cw.n)/float64(b.N)/1024, "KB/pdf")
		})
	}
}

type countWriter struct{ n int }

func (w *countWriter) Write(p []byte) (int, error) { w.n += len(p); return len(p), nil }

var _ io.Writer = (*countWriter)(nil)
