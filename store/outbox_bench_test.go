package store_test

import (
	"context"
	"database/sql"
	"fmt"
	"testing"
	"time"

	"partnerhub"
	"partnerhub/mail"
	"partnerhub/mail/mailpittest"
	"partnerhub/store/storetest"
)

// BenchmarkDeliver100 writes 100 messages to the outbox and drains them
// to Mailpit, on SQLite (go test -run x -bench Deliver100 ./store/).
func BenchmarkDeliver100(b *testing.B) {
	mp := mailpittest.Start(b)
	db := storetest.Engines()[0].Open(b)
	ctx := context.Background()
	c, err := mail.ParseSMTP(mp.SMTPURL())
	if err != nil {
		b.Fatal(err)
	}
	from, _ := mail.ParseFrom("noreply@example.ac.jp")
	s := &mail.Sender{Outbox: db, SMTP: c, From: from}
	b.ResetTimer()
	for i := range b.N {
		b.StopTimer()
		err := db.TxForTest(ctx, func(tx *sql.Tx) error {
			for j := range 100 {
				m := mail.Message{To: fmt.Sprintf("u%d@example.ac.jp", j), Language: partnerhub.Japanese, Subject: "件名",
					Text: "本文", HTML: "<p>本文</p>", Kind: mail.KindSecurity, MessageID: mail.NewMessageID("example.ac.jp")}
				if err := db.EnqueueMail(ctx, tx, m, time.Now()); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if n, err := s.Drain(ctx); err != nil || n != 100 {
			b.Fatalf("round %d: %d sent, %v", i, n, err)
		}
	}
	b.ReportMetric(float64(100*b.N)/b.Elapsed().Seconds(), "msgs/s")
}
