package bench

import (
	"context"
	"fmt"
	"testing"
	"time"

	"partnerhub"
	"partnerhub/dataset"
	"partnerhub/store/storetest"
)

// reminderAgreements is how many agreements BenchmarkDueReminders20k adds.
const reminderAgreements = 20000

// BenchmarkDueReminders20k computes the expiry reminders due, from the
// query to the thresholds crossed, over 20,000 agreements in force on
// SQLite (plus the built-in ones), their expiries spread over the next
// three years with every precision of date, some already reminded.
// The bar is under 1 s per computation (s/op, printed).
func BenchmarkDueReminders20k(b *testing.B) {
	ctx := context.Background()
	db := storetest.Engines()[0].Open(b) // SQLite, always first
	c, err := dataset.Builtin()
	if err != nil {
		b.Fatal(err)
	}
	var partners []string
	for _, p := range c.Partners {
		if p.Kind == partnerhub.PartnerInstitution {
			partners = append(partners, p.Slug)
		}
	}
	now := time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)
	for i := range reminderAgreements {
		exp := now.AddDate(0, 0, i%(3*365))
		d := partnerhub.PartialDate{Year: exp.Year(), Month: int(exp.Month()), Day: exp.Day()}
		switch i % 10 {
		case 0:
			d.Month, d.Day = 0, 0
		case 1:
			d.Day = 0
		}
		c.Agreements = append(c.Agreements, partnerhub.Agreement{
			Slug: fmt.Sprintf("bench-agreement-%05d", i), Partner: partners[i%len(partners)],
			Kind: partnerhub.Exchange, Level: partnerhub.UnitLevel, Units: []string{c.Units[i%len(c.Units)].Code},
			Title: partnerhub.Text{Ja: fmt.Sprintf("協定 %d", i), En: fmt.Sprintf("Agreement %d", i)},
			Stage: partnerhub.StageSigned, Declared: partnerhub.Active, Published: true, Expires: d,
		})
	}
	if err := db.ImportCatalog(ctx, c); err != nil {
		b.Fatal(err)
	}
	// Those within 180 days of their expiry ten days ago have had that
	// reminder: the computation reads what was sent too.
	if n, err := db.SendReminders(ctx, now.AddDate(0, 0, -10), []int{180}); err != nil || n == 0 {
		b.Fatalf("reminders sent before: %d %v", n, err)
	}
	b.ResetTimer()
	due := 0
	for b.Loop() {
		rs, err := db.DueReminders(ctx, now, partnerhub.DefaultReminderDays)
		if err != nil {
			b.Fatal(err)
		}
		due = len(rs)
	}
	if due == 0 {
		b.Fatal("no reminder due: the benchmark measures nothing")
	}
	per := b.Elapsed().Seconds() / float64(b.N)
	b.ReportMetric(per, "s/20k")
	fmt.Printf("DueReminders over %d agreements: %.3f s per computation, %d due (bar: < 1 s)\n", reminderAgreements, per, due)
	if per >= 1 {
		b.Errorf("%.3f s per computation, over the 1 s bar", per)
	}
}
