package web

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"partnerhub/store"
)

// How a node sees the writes of the others. On PostgreSQL the database
// tells each node of every write as it commits (LISTEN/NOTIFY, migration
// 00024), naming the home written: the node refreshes that member alone,
// within milliseconds. Polling stays beside it, every -reload-interval:
// the fallback while the listening connection is down, the one way on
// SQLite, and the way a new day's statuses (expiring, expired) appear.

// latestWriter is what the store also answers (store.DB): the newest
// write of any home, so that a poll asks each member only after a write.
type latestWriter interface {
	LatestWrite(ctx context.Context) (int64, error)
}

// writeListener is what the store also answers (store.DB): each write as
// it commits; on SQLite, errors.ErrUnsupported.
type writeListener interface {
	ListenWrites(ctx context.Context, l store.WriteListener) error
}

// catchUpRetry is how long Watch waits to look for missed writes again
// after the listening connection came back.
const catchUpRetry = time.Second

// Watch shows other nodes' writes (and a new day's statuses) until ctx is
// done. Told of a write to a home, it refreshes that member's Servers
// loaded here, and reads the members again when they may have changed.
// Every interval, and each time listening starts (again: writes committed
// meanwhile were told to nobody), it polls: it asks for the newest write
// of any home, and only when there is one, reads the members again and
// asks each loaded member whether it changed.
func (d *Deployment) Watch(ctx context.Context, every time.Duration) {
	h := &heard{log: d.deps.Logger, wake: make(chan struct{}, 1), homes: map[string]bool{}}
	if wl, ok := d.deps.Editor.(writeListener); ok {
		go func() {
			if err := wl.ListenWrites(ctx, h); err != nil && !errors.Is(err, errors.ErrUnsupported) {
				d.deps.Logger.Warn("listen for writes", "err", err)
			}
		}()
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := d.poll(ctx, false); err != nil {
				d.deps.Logger.Warn("latest write", "err", err)
			}
		case <-h.wake:
			homes, members, catchUp := h.take()
			if catchUp {
				if err := d.poll(ctx, true); err != nil {
					d.deps.Logger.Warn("latest write", "err", err)
					time.AfterFunc(catchUpRetry, h.again)
				}
				continue // every loaded member was asked
			}
			if members {
				if err := d.readMembers(ctx); err != nil {
					d.deps.Logger.Warn("members", "err", err)
				}
			}
			// Told of a committed write, a member reloads without
			// comparing data versions: a version is the newest audit
			// event's id, given when a write begins, so a write that
			// commits after a later one does not move it.
			for _, s := range d.loadedServers() {
				if homes[s.Home()] {
					if err := s.Reload(ctx); err != nil {
						s.deps.Logger.Warn("reload", "err", err)
						d.stale = true
					}
				}
			}
		}
	}
}

// poll looks for writes by asking for the newest: when it moved (or
// always, with all, or when a write seen before was not read in full
// because the database stopped answering half way: d.stale), it reads the members again and asks each loaded
// member whether it changed. Without a store that knows the newest write
// every member is asked.
func (d *Deployment) poll(ctx context.Context, all bool) error {
	changed := true
	if lw, ok := d.deps.Editor.(latestWriter); ok {
		v, err := lw.LatestWrite(ctx)
		if err != nil {
			return err
		}
		changed = all || v != d.seen.Load() || d.stale
		d.stale = false
		if changed {
			d.seen.Store(v)
			if err := d.readMembers(ctx); err != nil {
				d.deps.Logger.Warn("members", "err", err)
				d.stale = true
			}
		}
	}
	for _, s := range d.loadedServers() {
		if !s.refresh(ctx, changed) {
			d.stale = true
		}
	}
	return nil
}

// heard gathers what the store tells of writes until Watch takes it: a
// burst of writes to one member refreshes it once, and the listening
// connection never waits for a reload.
type heard struct {
	log  *slog.Logger
	wake chan struct{} // one value while something waits to be taken

	mu        sync.Mutex
	homes     map[string]bool // written since taken
	members   bool            // the members may have changed
	catchUp   bool            // listening (again): poll once
	listening bool            // the connection is up (for the log)
	tried     bool            // a connection was tried (for the log)
}

var _ store.WriteListener = (*heard)(nil)

// Listening asks Watch to look for missed writes now, and once more a
// second later: the first look may fail, or refresh a member with an
// error only logged, on connections of the pool that died with the
// listening one.
func (h *heard) Listening() {
	time.AfterFunc(catchUpRetry, h.again)
	h.mu.Lock()
	h.catchUp = true
	h.tried = true
	if !h.listening {
		h.listening = true
		h.log.Info("listening for writes")
	}
	h.mu.Unlock()
	h.signal()
}

// again asks Watch to look for missed writes.
func (h *heard) again() {
	h.mu.Lock()
	h.catchUp = true
	h.mu.Unlock()
	h.signal()
}

func (h *heard) Written(home string) {
	h.mu.Lock()
	if home == "" {
		h.members = true
	} else {
		h.homes[home] = true
	}
	h.mu.Unlock()
	h.signal()
}

// Lost is logged once per loss, and the first failure to connect: while
// the database is away the store tries again every two seconds or so.
func (h *heard) Lost(err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.listening || !h.tried {
		h.tried = true
		h.listening = false
		h.log.Warn("listening for writes lost; polling until it is back", "err", err)
	}
}

func (h *heard) signal() {
	select {
	case h.wake <- struct{}{}:
	default:
	}
}

// take returns what was heard since the last take, and forgets it.
func (h *heard) take() (homes map[string]bool, members, catchUp bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	homes, members, catchUp = h.homes, h.members, h.catchUp
	h.homes, h.members, h.catchUp = map[string]bool{}, false, false
	return homes, members, catchUp
}
