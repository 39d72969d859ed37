//go:build unix

package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"partnerhub"
	"partnerhub/authn"
	"partnerhub/store"
	"partnerhub/store/storetest"
)

// TestImportMobilityLeavesTheWriterFree feeds `partnerhub import mobility`
// its file through a named pipe, and stops half way: the command is then
// reading and checking rows. Meanwhile someone signs in to the same
// database and records a figure, as the server would, through a
// connection of its own. Nothing is timed: the pipe says when the command
// is reading, and the deadline is a failsafe against a wait for the writer.
func TestImportMobilityLeavesTheWriterFree(t *testing.T) {
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		dbURL := e.URL(t)
		transferSeed(t, dbURL) // the built-in programme, and office@example.ac.jp
		const password = "correct horse battery staple"
		db, err := store.Open(ctx, dbURL)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()

		// Enough rows that the first half cannot sit in the pipe and the
		// reader's buffers: once it is written, the command is reading rows.
		var first, rest bytes.Buffer
		first.WriteString("partner,unit,year,direction,category,programme,count\n")
		n := 0
		for year := 1900; year <= 2200; year++ {
			for _, unit := range []string{"law", "eng"} {
				for _, dir := range []string{"outbound", "inbound"} {
					for _, cat := range []string{"undergraduate", "graduate", "faculty", "staff", "researcher"} {
						b := &first
						if n >= 4500 {
							b = &rest
						}
						fmt.Fprintf(b, "pku,%s,%d,%s,%s,exchange,%d\n", unit, year, dir, cat, n%40+1)
						n++
					}
				}
			}
		}
		if first.Len() < 128<<10 {
			t.Fatalf("the first half is %d bytes: too little to be sure it is being read", first.Len())
		}
		fifo := filepath.Join(t.TempDir(), "figures.csv")
		if err := syscall.Mkfifo(fifo, 0o600); err != nil {
			t.Skipf("no named pipes here: %v", err)
		}
		done := make(chan error, 1)
		var out, errOut bytes.Buffer
		go func() {
			done <- run(ctx, []string{"import", "mobility", "-q", "-db", dbURL, fifo}, env(), &out, &errOut)
		}()
		written, more := make(chan error, 1), make(chan struct{})
		go func() {
			w, err := os.OpenFile(fifo, os.O_WRONLY, 0) // waits for the command to open it
			if err == nil {
				_, err = w.Write(first.Bytes())
			}
			written <- err
			if err != nil {
				return
			}
			<-more
			w.Write(rest.Bytes())
			w.Close()
		}()
		select {
		case err := <-written:
			if err != nil {
				t.Fatal(err)
			}
		case err := <-done:
			t.Fatalf("the command ended before reading its file: %v\n%s", err, errOut.String())
		}

		failsafe, cancel := context.WithTimeout(ctx, time.Minute)
		defer cancel()
		u, err := authn.NewPasswords(db).Authenticate(failsafe, "utokyo", partnerhub.Credentials{Email: "office@example.ac.jp", Password: password, IP: "192.0.2.1", At: time.Now()})
		if err == nil {
			_, err = db.CreateSession(failsafe, u.ID, time.Now(), partnerhub.SessionSpec{TTL: time.Hour})
		}
		if err == nil {
			err = db.PutMobility(failsafe, u, "utokyo", partnerhub.Mobility{Partner: "pku", Year: 2020, Direction: partnerhub.Inbound,
				Category: partnerhub.Faculty, Programme: partnerhub.Visit, Count: 2})
		}
		close(more)
		if err != nil {
			<-done
			t.Fatalf("sign-in or edit while the command read its file: %v", err)
		}
		if err := <-done; err != nil {
			t.Fatalf("import: %v\n%s", err, errOut.String())
		}
		if !strings.Contains(out.String(), fifo) {
			t.Errorf("output %q", out.String())
		}
		if _, total, err := db.ListMobility(ctx, "utokyo", store.MobilityFilter{}, 1, 0); err != nil || total != int64(n)+1 {
			t.Fatalf("%d figures stored, want %d: %v", total, n+1, err)
		}
	})
}
