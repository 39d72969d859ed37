package web

import (
	clist "container/list"
	"context"
	"errors"
	"fmt"
	"html/template"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"partnerhub"
)

// Deployment serves every member of a deployment: the first member (the
// oldest home institution) at the site's root, as a single university is
// served; each other member at /{slug}/ and, when it has one, at its own
// host name; and the network's own pages (/{lang}/network…) from the
// first member's Server. A deployment of one member is that member's
// Server and nothing more.
//
// Each member's Server holds its programme in memory. Only the first
// member's stays loaded: the others are loaded on their first request
// and the least recently used is dropped beyond MaxLoaded, so that a
// network of hundreds of members runs in bounded memory.
type Deployment struct {
	deps    Deps // every member's, with its Home, Prefix and BaseURL set per member
	members partnerhub.MemberService
	shared  *serverShared
	first   *Server
	max     int

	table atomic.Pointer[memberTable]

	mu     sync.Mutex
	loaded map[mount]*clist.Element // of *loadedServer, most recent at the front
	lru    clist.List

	seen atomic.Int64 // the latest write Watch has acted on
	// stale says a write seen was not read in full (the database stopped
	// answering half way): until it is, every poll tries again, or the
	// old data would stay after the database came back. Watch's alone.
	stale    bool
	rootHome string // the member at the root, "" for the oldest
}

// mount is where a member's Server answers: at its path (host "") or at
// its own host name, whose links have no prefix.
type mount struct{ slug, host string }

type loadedServer struct {
	at    mount
	ready chan struct{} // closed once srv or err is set
	srv   *Server
	err   error
}

// memberTable is the members as last read, by slug and by host.
type memberTable struct {
	first  string
	all    []partnerhub.Member // oldest first
	bySlug map[string]partnerhub.Member
	byHost map[string]string
}

// DefaultMaxLoaded is how many members' Servers stay in memory besides the
// first's. A member of bench/gen's size (100 partners, 100 units, 2,500
// activities) holds some 7 MB once loaded and about 16 MB once its main
// pages are rendered (bench/network.sh: 16 members came to 316 MB), so 12
// keep a network of any size under 300 MB.
const DefaultMaxLoaded = 12

// NewDeployment loads the first member and returns the deployment. deps
// are every member's Server's: Home is the member served at the root (""
// for the oldest), BaseURL is the site's. maxLoaded <= 0 takes
// DefaultMaxLoaded.
func NewDeployment(ctx context.Context, deps Deps, members partnerhub.MemberService, maxLoaded int) (*Deployment, error) {
	deps = deps.withDefaults()
	shared, err := newServerShared()
	if err != nil {
		return nil, err
	}
	if maxLoaded <= 0 {
		maxLoaded = DefaultMaxLoaded
	}
	d := &Deployment{deps: deps, members: members, shared: shared, max: maxLoaded, loaded: map[mount]*clist.Element{}}
	d.rootHome = deps.Home
	if err := d.readMembers(ctx); err != nil {
		return nil, err
	}
	first := deps
	first.Home = d.table.Load().first
	first.Portals = d
	if d.first, err = newServer(ctx, first, shared); err != nil {
		return nil, err
	}
	if deps.Jobs != nil && deps.Imports != nil {
		registerJobs(deps.Jobs, func(ctx context.Context, home string) (*Server, error) {
			return d.server(ctx, mount{slug: home})
		})
	}
	return d, nil
}

// First is the first member's Server.
func (d *Deployment) First() *Server { return d.first }

// Home is the home institution the server serves.
func (s *Server) Home() string { return s.deps.Home }

// readMembers reads the members again.
func (d *Deployment) readMembers(ctx context.Context) error {
	ms, err := d.members.Members(ctx)
	if err != nil {
		return err
	}
	if len(ms) == 0 {
		return errors.New("deployment: no home institution")
	}
	if d.rootHome != "" && !slices.ContainsFunc(ms, func(m partnerhub.Member) bool { return m.Slug == d.rootHome }) {
		return partnerhub.Errorf(partnerhub.ENotFound, "error.home_not_found", d.rootHome)
	}
	t := &memberTable{first: ms[0].Slug, all: ms, bySlug: map[string]partnerhub.Member{}, byHost: map[string]string{}}
	if d.rootHome != "" {
		t.first = d.rootHome
	}
	for _, m := range ms {
		t.bySlug[m.Slug] = m
		if m.Host != "" && !m.Disabled {
			t.byHost[m.Host] = m.Slug
		}
	}
	d.table.Store(t)
	return nil
}

// Members are the members as last read, the first first.
func (d *Deployment) Members() []partnerhub.Member {
	t := d.table.Load()
	out := make([]partnerhub.Member, 0, len(t.all))
	out = append(out, t.bySlug[t.first])
	for _, m := range t.all {
		if m.Slug != t.first {
			out = append(out, m)
		}
	}
	return out
}

// PortalPath is the path of a member's portal ("" for the first
// member, "/{slug}" for the others).
func (d *Deployment) PortalPath(slug string) string {
	if slug == d.table.Load().first {
		return ""
	}
	return "/" + slug
}

// IsNetwork reports whether the deployment holds more than one enabled
// member: only then has it network pages.
func (d *Deployment) IsNetwork() bool {
	n := 0
	for _, m := range d.table.Load().bySlug {
		if !m.Disabled {
			n++
		}
	}
	return n > 1
}

func (d *Deployment) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	t := d.table.Load()
	slug, ok := t.byHost[partnerhub.NormalizeHost(r.Host)]
	if !ok {
		slug, ok = t.byHost[hostOf(r)]
	}
	if ok {
		srv, err := d.server(r.Context(), mount{slug: slug, host: t.bySlug[slug].Host})
		if err != nil {
			d.unavailable(w, r, err)
			return
		}
		srv.ServeHTTP(w, r)
		return
	}
	first, rest, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	m, ok := t.bySlug[first]
	switch {
	case !ok || m.Disabled:
		// The root's own pages, the network's, and not-found.
		d.first.ServeHTTP(w, r)
		return
	case first == t.first:
		// The first member lives at the root: its slug's path is an alias.
		// Its rest loses its leading slashes, so that /first//evil.example
		// leads to /evil.example, never to another site.
		to := &url.URL{Path: "/" + strings.TrimLeft(rest, "/"), RawQuery: r.URL.RawQuery}
		http.Redirect(w, r, to.String(), http.StatusMovedPermanently)
		return
	case !strings.Contains(strings.TrimPrefix(r.URL.Path, "/"), "/"):
		http.Redirect(w, r, r.URL.Path+"/", http.StatusMovedPermanently)
		return
	}
	srv, err := d.server(r.Context(), mount{slug: first})
	if err != nil {
		d.unavailable(w, r, err)
		return
	}
	http.StripPrefix("/"+first, srv).ServeHTTP(&prefixedLocation{ResponseWriter: w, prefix: "/" + first}, r)
}

// prefixedLocation puts a member's prefix before a path-absolute Location
// its Server answers without one: the redirects http.ServeMux makes
// itself (/en → /en/, a path cleaned), which know nothing of the prefix.
// Every Location the Server's own code writes carries it already.
type prefixedLocation struct {
	http.ResponseWriter
	prefix string
	done   bool
}

func (p *prefixedLocation) WriteHeader(code int) {
	if !p.done {
		p.done = true
		h := p.ResponseWriter.Header()
		if loc := h.Get("Location"); strings.HasPrefix(loc, "/") && !strings.HasPrefix(loc, "//") &&
			loc != p.prefix && !strings.HasPrefix(loc, p.prefix+"/") && !strings.HasPrefix(loc, p.prefix+"?") {
			h.Set("Location", p.prefix+loc)
		}
	}
	p.ResponseWriter.WriteHeader(code)
}

func (p *prefixedLocation) Write(b []byte) (int, error) {
	if !p.done {
		p.WriteHeader(http.StatusOK)
	}
	return p.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection (flushing,
// deadlines) through the wrapper.
func (p *prefixedLocation) Unwrap() http.ResponseWriter { return p.ResponseWriter }

// hostOf is the request's host name without its port: a member's host
// configured with a port matches first, then one without.
func hostOf(r *http.Request) string {
	h := partnerhub.NormalizeHost(r.Host)
	if name, _, err := net.SplitHostPort(h); err == nil {
		return name
	}
	return h
}

// unavailable answers a member whose programme cannot be loaded now.
func (d *Deployment) unavailable(w http.ResponseWriter, r *http.Request, err error) {
	d.deps.Logger.Error("member load", "path", r.URL.Path, "err", err)
	w.Header().Set("Retry-After", "5")
	// In both languages: the request's language is the member's Server's
	// to tell, and it could not be loaded.
	msg := d.deps.Messages.Printer(partnerhub.Japanese).T("error.member_unavailable") + "\n" +
		d.deps.Messages.Printer(partnerhub.English).T("error.member_unavailable")
	http.Error(w, msg, http.StatusServiceUnavailable)
}

// server is the Server of a member at a mount, loaded when needed; two
// requests for a member not yet loaded load it once.
func (d *Deployment) server(ctx context.Context, at mount) (*Server, error) {
	if at.slug == d.first.deps.Home && at.host == "" {
		return d.first, nil
	}
	d.mu.Lock()
	if e, ok := d.loaded[at]; ok {
		d.lru.MoveToFront(e)
		ls := e.Value.(*loadedServer)
		d.mu.Unlock()
		<-ls.ready
		return ls.srv, ls.err
	}
	ls := &loadedServer{at: at, ready: make(chan struct{})}
	d.loaded[at] = d.lru.PushFront(ls)
	for d.lru.Len() > d.max {
		old := d.lru.Back()
		d.lru.Remove(old)
		delete(d.loaded, old.Value.(*loadedServer).at)
	}
	d.mu.Unlock()

	deps := d.deps
	deps.Home = at.slug
	deps.Portals = d
	if at.host == "" {
		deps.Prefix = "/" + at.slug
	} else {
		deps.BaseURL = schemeOf(d.deps.BaseURL) + "://" + at.host
	}
	// Loaded apart from the request that asked: another request may be
	// waiting for it too.
	ls.srv, ls.err = newServer(context.WithoutCancel(ctx), deps, d.shared)
	close(ls.ready)
	if ls.err != nil {
		d.mu.Lock()
		if e, ok := d.loaded[at]; ok && e.Value == ls {
			d.lru.Remove(e)
			delete(d.loaded, at)
		}
		d.mu.Unlock()
		return nil, fmt.Errorf("member %s: %w", at.slug, ls.err)
	}
	return ls.srv, nil
}

func schemeOf(base string) string {
	if u, err := url.Parse(base); err == nil && u.Scheme != "" {
		return u.Scheme
	}
	return "http"
}

// loadedServers are the members' Servers in memory now, the first's too.
func (d *Deployment) loadedServers() []*Server {
	out := []*Server{d.first}
	d.mu.Lock()
	defer d.mu.Unlock()
	for e := d.lru.Front(); e != nil; e = e.Next() {
		ls := e.Value.(*loadedServer)
		select {
		case <-ls.ready:
			if ls.srv != nil {
				out = append(out, ls.srv)
			}
		default:
		}
	}
	return out
}

// Loaded is how many members' Servers are in memory, the first's too.
func (d *Deployment) Loaded() int { return len(d.loadedServers()) }

// Portals is what a member's Server knows of the deployment it is part of
// (a Deployment); nil in Deps for a single university.
type Portals interface {
	// IsNetwork reports whether the deployment holds more than one
	// enabled member.
	IsNetwork() bool
	// PortalPath is the path of a member's portal: "" for the first.
	PortalPath(slug string) string
	// Members are the deployment's members, the first first.
	Members() []partnerhub.Member
}

var _ Portals = (*Deployment)(nil)

// serverShared is what every member's Server shares: the static files,
// the templates, the API's description and the drawn world map, made
// once. (The map's atlas, drawn, is some megabytes: one per member would
// multiply it by the members loaded, and draw it again on each one's
// first map page.)
type serverShared struct {
	assets    *assets
	templates *template.Template
	maps      *mapCache
}

func newServerShared() (*serverShared, error) {
	a, err := loadAssets()
	if err != nil {
		return nil, err
	}
	t, err := parseTemplates()
	if err != nil {
		return nil, err
	}
	return &serverShared{assets: a, templates: t, maps: &mapCache{}}, nil
}
