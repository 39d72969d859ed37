package store_test

// Imports leave the database writable while they read and check a file:
// each test stops an import half way through its rows, at a point the test
// controls, and signs in and edits meanwhile. Nothing here is timed: the
// deadline of the sign-in and the edit is a failsafe that turns a wait for
// the writer (the fault these tests catch) into a failure, not a hang.

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"testing"
	"time"

	"partnerhub"
	"partnerhub/authn"
	"partnerhub/store"
	"partnerhub/store/storetest"
)

// pausedRows yields figs as mobRows does, but after the first half it
// closes reached and waits for release: the import is then in the middle
// of reading its rows.
func pausedRows(figs []partnerhub.Mobility, reached chan<- struct{}, release <-chan struct{}) func(func(int, partnerhub.Mobility) bool) {
	return func(yield func(int, partnerhub.Mobility) bool) {
		for i, m := range figs {
			if i == len(figs)/2 {
				close(reached)
				<-release
			}
			if !yield(i+2, m) {
				return
			}
		}
	}
}

type importOutcome struct {
	res store.ImportResult
	err error
}

// startPausedImport starts an import of figs and returns when it is
// half way through reading them.
func startPausedImport(t *testing.T, db *store.DB, actor *partnerhub.User, figs []partnerhub.Mobility) (release chan struct{}, done chan importOutcome) {
	t.Helper()
	reached, release := make(chan struct{}), make(chan struct{})
	done = make(chan importOutcome, 1)
	go func() {
		res, err := db.ImportMobility(context.Background(), actor, mobHome, pausedRows(figs, reached, release), noFailures, nil)
		done <- importOutcome{res, err}
	}()
	select {
	case <-reached:
	case o := <-done:
		t.Fatalf("the import ended before reading its rows: %+v %v", o.res, o.err)
	}
	return release, done
}

func TestMobilityImportLeavesTheWriterFree(t *testing.T) {
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		db := e.OpenBuiltin(t)
		ctx := context.Background()
		admin := mobUser(t, db, "admin@example.ac.jp", partnerhub.RoleAdmin)
		const password = "a long and secret passphrase"
		editor, err := db.CreateUser(ctx, mobHome, &partnerhub.User{Email: "editor@example.ac.jp", Name: "Editor", Role: partnerhub.RoleAdmin}, password)
		if err != nil {
			t.Fatal(err)
		}
		figs := mobWorldOf(t, db).figures(rand.New(rand.NewPCG(7, 8)), 400, 2010, 5) // years 2010–2014
		release, done := startPausedImport(t, db, admin, figs)

		// The import is reading. A sign-in (its failure counters and its
		// session are writes) and an edit of a figure of the same home
		// complete meanwhile.
		failsafe, cancel := context.WithTimeout(ctx, time.Minute)
		defer cancel()
		u, err := authn.NewPasswords(db).Authenticate(failsafe, mobHome, partnerhub.Credentials{Email: editor.Email, Password: password, IP: "192.0.2.1", At: time.Now()})
		if err != nil {
			close(release)
			t.Fatalf("sign-in during an import: %v", err)
		}
		if _, err := db.CreateSession(failsafe, u.ID, time.Now(), partnerhub.SessionSpec{TTL: time.Hour}); err != nil {
			close(release)
			t.Fatalf("session during an import: %v", err)
		}
		one := partnerhub.Mobility{Partner: figs[0].Partner, Year: 2030, Direction: partnerhub.Inbound, Category: partnerhub.Faculty,
			Programme: partnerhub.Visit, Count: 4}
		if err := db.PutMobility(failsafe, u, mobHome, one); err != nil {
			close(release)
			t.Fatalf("edit during an import: %v", err)
		}

		close(release)
		o := <-done
		if o.err != nil || o.res.Rows != int64(len(figs)) || o.res.ProblemCount != 0 {
			t.Fatalf("import: %+v %v", o.res, o.err)
		}
		if _, n, err := db.ListMobility(ctx, mobHome, store.MobilityFilter{}, 1, 0); err != nil || n != int64(len(figs))+1 {
			t.Fatalf("%d figures stored, want %d: %v", n, len(figs)+1, err)
		}
		mobNoDrift(t, db)
	})
}

// TestMobilityImportRecordsChanged: rows are checked against the records
// as they were when reading began; when those change before the writing,
// the import adds nothing and says so.
func TestMobilityImportRecordsChanged(t *testing.T) {
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		db := e.OpenBuiltin(t)
		ctx := context.Background()
		admin := mobUser(t, db, "admin@example.ac.jp", partnerhub.RoleAdmin)
		figs := mobWorldOf(t, db).figures(rand.New(rand.NewPCG(9, 10)), 200, 2010, 5)
		release, done := startPausedImport(t, db, admin, figs)
		failsafe, cancel := context.WithTimeout(ctx, time.Minute)
		defer cancel()
		_, err := db.Apply(failsafe, partnerhub.Change{Actor: admin, Home: mobHome, Entity: partnerhub.EntityPartner,
			Action: partnerhub.ActionDelete, Key: figs[0].Partner, Version: 1})
		if err != nil {
			close(release)
			t.Fatal(err)
		}
		before := mobSnapshot(t, db)
		close(release)
		o := <-done
		var pe *partnerhub.Error
		if !errors.As(o.err, &pe) || pe.Code != partnerhub.EConflict || pe.Message != "error.import_changed" {
			t.Fatalf("import after a partner was deleted: %+v %v", o.res, o.err)
		}
		mobSame(t, db, before)
	})
}

// pausedReader reads r but stops before byte at until release is closed;
// reached is closed when it stops.
type pausedReader struct {
	r       io.Reader
	at, n   int
	reached chan struct{}
	release chan struct{}
	stopped bool
}

func (p *pausedReader) Read(b []byte) (int, error) {
	if p.n >= p.at && !p.stopped {
		p.stopped = true
		close(p.reached)
		<-p.release
	} else if !p.stopped && len(b) > p.at-p.n {
		b = b[:p.at-p.n]
	}
	n, err := p.r.Read(b)
	p.n += n
	return n, err
}

// TestTransferImportLeavesTheWriterFree: the whole-data import reads and
// checks its document before it takes the writer. Its database must be
// empty, so nobody can sign in to it or edit it meanwhile; a write
// transaction of another kind shows that the writer is free.
func TestTransferImportLeavesTheWriterFree(t *testing.T) {
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		doc := xferExport(t, transferFixture(t, e).db)
		dst := e.Open(t)
		in := &pausedReader{r: bytes.NewReader(doc), at: len(doc) / 2, reached: make(chan struct{}), release: make(chan struct{})}
		done := make(chan error, 1)
		go func() { done <- dst.Import(ctx, in) }()
		select {
		case <-in.reached:
		case err := <-done:
			t.Fatalf("the import ended before reading its document: %v", err)
		}
		failsafe, cancel := context.WithTimeout(ctx, time.Minute)
		defer cancel()
		err := dst.ExecForTest(failsafe, `CREATE TABLE scratch_during_import (x INTEGER)`)
		if err == nil {
			err = dst.ExecForTest(failsafe, `DROP TABLE scratch_during_import`)
		}
		if err == nil {
			err = dst.CheckEmpty(failsafe)
		}
		close(in.release)
		if err != nil {
			t.Fatalf("a write while the import read its document: %v", err)
		}
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		if got := xferExport(t, dst); !bytes.Equal(got, doc) {
			t.Fatalf("the import differs at %s", xferDiff(doc, got))
		}
	})
}
