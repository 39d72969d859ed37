package bench

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"partnerhub"
	"partnerhub/mail"
	"partnerhub/mail/mailpittest"
	"partnerhub/store"
	"partnerhub/store/storetest"
)

// outboxMessages is how many messages one round of BenchmarkOutboxDeliver
// writes and delivers.
const outboxMessages = 1000

// BenchmarkOutboxDeliver writes 1,000 messages to the outbox (one
// transaction, untimed), then times the sender (mail.Sender.Drain, what the
// queue's mail job runs) from its start until Mailpit's API lists every
// one of them (ns/op: per 1,000); msgs/s is messages ÷ that time. On each engine.
func BenchmarkOutboxDeliver(b *testing.B) {
	for _, e := range storetest.Engines() {
		b.Run(e.Name, func(b *testing.B) {
			mp := mailpittest.Start(b)
			db := e.Open(b)
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
				enqueue(b, db, outboxMessages)
				b.StartTimer()
				if n, err := s.Drain(ctx); err != nil || n != outboxMessages {
					b.Fatalf("round %d: %d sent, %v", i, n, err)
				}
				for mailpitTotal(b, mp) < (i+1)*outboxMessages {
					time.Sleep(2 * time.Millisecond)
				}
			}
			b.ReportMetric(float64(outboxMessages*b.N)/b.Elapsed().Seconds(), "msgs/s")
		})
	}
}

func enqueue(b *testing.B, db *store.DB, n int) {
	b.Helper()
	ctx := context.Background()
	err := db.WriteTx(ctx, func(tx *sql.Tx) error {
		for j := range n {
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
}

// mailpitTotal is how many messages Mailpit holds.
func mailpitTotal(b *testing.B, mp *mailpittest.Server) int {
	resp, err := http.Get(mp.API + "/api/v1/messages?limit=1")
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	var r struct{ Total int }
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		b.Fatal(err)
	}
	return r.Total
}
