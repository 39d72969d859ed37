package web

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"net/http"
	"slices"
	"sync"
)

// How a write goes live without slowing the readers down.
//
// Every write swaps in a new snapshot (Reload): the catalog read again,
// indexed, its API bodies encoded. That costs the writer a few
// milliseconds and the readers nothing, as long as the pages they read are
// ready in the new snapshot when it is swapped in. They used not to be:
// each version started with an empty page cache, and the first reader of a
// page after a write rendered it while every other reader of that page
// waited (single flight), ten times a second under ten writes a second.
// The pages read most are now rendered for the new snapshot before it is
// swapped in (warm), on the writer's time; a page whose bytes come out the
// same keeps its compressed copy and ETag.
//
// Simpler designs fall short: answering from the old snapshot while the
// new one fills would break read-your-writes (after a write's response,
// this node serves the new data; tests and users rely on it); tracking
// which part of the catalog each page reads would have every page handler
// declare its inputs, and a page that reads one undeclared would be served
// stale. Rendering the hot pages again is correct whatever they read.
//
// Reloads are coalesced: one runs at a time, and the writes that come
// while it runs share the single one after it, which starts after all of
// them committed. Two reloads never run at once, so an older catalog can
// never be swapped in over a newer one.

// warmPages bounds the pages rendered for a new snapshot before it goes
// live: the most read of the old one since it went live. The rest are
// rendered on demand, as before. (A bound in pages, not in time: what is
// ready must not depend on how busy the machine is.)
const warmPages = 8

// reloader runs one reload at a time and coalesces the calls that come
// meanwhile into the next.
type reloader struct {
	mu      sync.Mutex
	running bool
	next    *reloadRound // joined by calls while a round runs; nil: none yet
}

// reloadRound is one reload, shared by the calls that joined it.
type reloadRound struct {
	done  chan struct{} // closed when err is set
	err   error
	calls int // that joined it
}

// do returns once a reload (by run) that started after the call has
// finished, with its error, or when ctx is done. The reload itself is not
// cancelled with ctx: other calls may wait for it.
func (rl *reloader) do(ctx context.Context, run func(context.Context) error) error {
	rl.mu.Lock()
	if rl.next == nil {
		rl.next = &reloadRound{done: make(chan struct{})}
	}
	r := rl.next
	r.calls++
	if !rl.running {
		rl.running = true
		rl.next = nil
		go rl.loop(context.WithoutCancel(ctx), run, r)
	}
	rl.mu.Unlock()
	select {
	case <-r.done:
		return r.err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// loop runs r, then the round the calls during it joined, until none is
// left.
func (rl *reloader) loop(ctx context.Context, run func(context.Context) error, r *reloadRound) {
	for r != nil {
		r.err = safely(ctx, run)
		close(r.done)
		rl.mu.Lock()
		r, rl.next = rl.next, nil
		if r == nil {
			rl.running = false
		}
		rl.mu.Unlock()
	}
}

// safely is run(ctx), with a panic as its error: it runs apart from the
// requests that wait for it, where net/http would not recover it.
func safely(ctx context.Context, run func(context.Context) error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("reload: panic: %v", p)
		}
	}()
	return run(ctx)
}

// rerender renders a cached page for r from a snapshot. prev, when not
// nil, is what the page was in the snapshot before: returned as is when
// the page comes out the same, so that it keeps its compressed copy and
// its ETag.
type rerender func(r *http.Request, sn *snapshot, prev *rendered) (*rendered, error)

// warm renders into next the pages of old read most since old went live,
// before next is swapped in, so that no reader waits for them.
func (s *Server) warm(old, next *snapshot) {
	if old == nil {
		return
	}
	type hot struct {
		key  string
		cp   *cachedPage
		hits int64
	}
	var hots []hot
	old.pages.m.Range(func(k, v any) bool {
		cp := v.(*cachedPage)
		select {
		case <-cp.ready:
		default:
			return true // still being rendered for old
		}
		if cp.c != nil && cp.again != nil {
			if n := cp.hits.Load(); n > 0 {
				hots = append(hots, hot{key: k.(string), cp: cp, hits: n})
			}
		}
		return true
	})
	slices.SortFunc(hots, func(a, b hot) int { return cmp.Or(cmp.Compare(b.hits, a.hits), cmp.Compare(a.key, b.key)) })
	for _, h := range hots[:min(len(hots), warmPages)] {
		cp, mine := next.pages.slot(h.key)
		if !mine {
			continue // the cache is full
		}
		cp.again, cp.req = h.cp.again, h.cp.req
		// An error or a panic is the on-demand render's to report, as
		// before: the page is left out of next.
		_ = safely(context.Background(), func(context.Context) error {
			_, err := next.pages.fill(h.key, cp, func() (*rendered, error) { return cp.again(cp.req, next, h.cp.c) })
			return err
		})
	}
}

// sameAs is prev when c has its bytes and status, else c.
func sameAs(c, prev *rendered) *rendered {
	if prev != nil && c.status == prev.status && bytes.Equal(c.body, prev.body) {
		return prev
	}
	return c
}

// anonymous is a copy of r for rendering a cached page again later, after
// r has ended: its URL and path values, its home and language, but none
// of its headers nor who made it (a cached page depends on its key alone,
// and is the same for everyone), and not its cancellation.
func anonymous(r *http.Request) *http.Request {
	ctx := context.WithoutCancel(r.Context())
	if info, ok := ctx.Value(requestKey{}).(*requestInfo); ok {
		ctx = context.WithValue(ctx, requestKey{}, &requestInfo{home: info.home, lang: info.lang, id: info.id})
	}
	rr := r.Clone(ctx)
	rr.Header = http.Header{}
	rr.Body = http.NoBody
	return rr
}
