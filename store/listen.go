package store

import (
	"context"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"time"

	"github.com/jackc/pgx/v5"
)

// Committed writes told to every app node at once: on PostgreSQL the
// triggers of migration 00024 notify each committed write on a channel,
// and ListenWrites listens to it. SQLite has no notifications; its nodes
// poll (LatestWrite, DataVersion).

// writeChannel is the channel the triggers of migration 00024 notify on.
const writeChannel = "partnerhub_writes"

// ListenerName is the listening connection's application_name, as
// pg_stat_activity shows it.
const ListenerName = "partnerhub-listen"

// Pauses between attempts to listen again after the connection dropped:
// doubling from the first, with some jitter so that the nodes of a
// cluster do not all knock at once when the database comes back.
const (
	listenFirstPause = 100 * time.Millisecond
	listenMaxPause   = 2 * time.Second
)

// listenIdle is how long the listening connection waits for a
// notification before it checks that the database still answers: a
// connection cut without a word (a pulled cable, a dropped NAT entry)
// would otherwise wait for ever.
const listenIdle = 30 * time.Second

// A WriteListener is told of committed writes by ListenWrites, one call
// at a time, from ListenWrites' goroutine.
type WriteListener interface {
	// Listening is called each time the connection is made and listens,
	// the first time too. Writes committed while it was not listening
	// were told to nobody: the listener looks for them once now.
	Listening()
	// Written is called once a transaction that wrote home's data has
	// committed; home is "" when the members (or the institutions their
	// names come from) may have changed.
	Written(home string)
	// Lost is called when the connection drops or cannot be made; it is
	// made again after a pause of at most two seconds.
	Lost(err error)
}

// ListenWrites tells l of every write committed to the database, by any
// app node, until ctx is done; then it returns nil. It listens on a
// connection of its own, not one of the pool, made again whenever it
// drops. On SQLite it returns errors.ErrUnsupported at once.
func (db *DB) ListenWrites(ctx context.Context, l WriteListener) error {
	if db.listenURL == "" {
		return errors.ErrUnsupported
	}
	cfg, err := pgx.ParseConfig(db.listenURL)
	if err != nil {
		return err
	}
	cfg.RuntimeParams["application_name"] = ListenerName
	pause := listenFirstPause
	for {
		err := listen(ctx, cfg, func() {
			pause = listenFirstPause
			l.Listening()
		}, l.Written)
		if ctx.Err() != nil {
			return nil
		}
		l.Lost(err)
		wait := pause/2 + rand.N(pause/2+1)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(wait):
		}
		pause = min(2*pause, listenMaxPause)
	}
}

// writeNote is a notification's payload (migration 00024).
type writeNote struct {
	Schema string `json:"schema"`
	Home   string `json:"home"`
}

// listen makes one connection, listens, and tells of what it hears
// until the connection fails or ctx is done.
func listen(ctx context.Context, cfg *pgx.ConnConfig, listening func(), written func(home string)) error {
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	// Deployments may share a database, each in a schema of its own: the
	// channel is the database's, so each hears only its own schema's.
	var schema string
	if err := conn.QueryRow(ctx, `SELECT current_schema()`).Scan(&schema); err != nil {
		return err
	}
	if _, err := conn.Exec(ctx, `LISTEN `+writeChannel); err != nil {
		return err
	}
	listening()
	for {
		wait, cancel := context.WithTimeout(ctx, listenIdle)
		n, err := conn.WaitForNotification(wait)
		cancel()
		switch {
		case ctx.Err() != nil:
			return ctx.Err()
		case errors.Is(err, context.DeadlineExceeded):
			// Quiet for a while: is the database still there?
			ping, cancel := context.WithTimeout(ctx, 5*time.Second)
			err = conn.Ping(ping)
			cancel()
			if err != nil {
				return err
			}
			continue
		case err != nil:
			return err
		}
		// A payload not of the triggers' making (anyone may NOTIFY) is
		// not a write of ours.
		var note writeNote
		if json.Unmarshal([]byte(n.Payload), &note) == nil && note.Schema == schema {
			written(note.Home)
		}
	}
}
