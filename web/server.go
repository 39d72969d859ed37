// Package web serves partnerhub over HTTP: the JSON API, the health checks
// and (later) the portal's pages. routes.go lists every route.
package web

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"log/slog"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"partnerhub"
	"partnerhub/i18n"
	"partnerhub/jobs"
	"partnerhub/metrics"
	"partnerhub/sso"
)

// Deps are what NewServer needs.
type Deps struct {
	Source   partnerhub.CatalogService
	Home     string // slug of the home institution served
	Messages *i18n.Catalogs
	Logger   *slog.Logger
	Accounts partnerhub.AccountService // sessions and API tokens; nil: no sign-in
	// Authenticator signs people in (authn.Passwords); nil: no sign-in
	Authenticator partnerhub.Authenticator
	Editor        partnerhub.Editor          // writes, history, bin; nil: read-only
	Mobility      partnerhub.MobilityService // mobility figures and statistics; nil: none
	// MFA keeps second factors; nil: none, and no administrator is held
	// to enrol one.
	MFA partnerhub.MFAService
	// Mail lists the outbox and keeps users' language of mail; nil: no
	// outbox page and no choice of language.
	Mail MailBox
	// MailServer is where mail is sent (mail.SMTP.String, no password), for
	// the outbox page; "": nowhere, mail waits.
	MailServer string
	// Chains keeps the approval chains of agreements; nil: the built-in
	// chains, not configurable.
	Chains partnerhub.ChainService
	// Calendars keeps the personal calendar feeds; nil: none.
	Calendars partnerhub.CalendarService
	// Notices lists a user's notifications and keeps how they are
	// mailed; nil: no notifications page.
	Notices NoticeBox
	// Documents keeps agreements' drafts and signed copies; nil: none
	// (their pages and API answer 404).
	Documents partnerhub.DocumentService
	// Funds keeps joint funds, their calls and proposals; nil: none (their
	// pages and API answer 404).
	Funds partnerhub.FundService
	// Reviews keeps the funds' joint review; nil: none (its pages and API
	// answer 404).
	Reviews partnerhub.ReviewService
	// Invitations keeps invitations to make an account; nil: none (their
	// pages answer 404).
	Invitations partnerhub.InvitationService
	// ProposalFiles keeps proposals' attachments; nil: none.
	ProposalFiles partnerhub.ProposalFileService
	// Decisions records the committee's decisions and serves what follows:
	// letters, the public projects, reports; nil: none.
	Decisions partnerhub.DecisionService
	// Members keeps the deployment's members (store.DB); nil: no member
	// settings page.
	Members partnerhub.MemberService
	// FundPeople seats people on a fund's committee by e-mail; nil: the
	// committee page cannot add anyone.
	FundPeople partnerhub.FundPeopleService
	// Notes keeps the network's good-practice notes, and knows its
	// members; nil: none (their pages and API answer 404).
	Notes NoteBook
	// Network answers the network's own pages (who partners with whom
	// across the members, its map, matrix and statistics); nil: none
	// (they answer 404).
	Network partnerhub.NetworkService
	// NetworkEvents keeps the network's events and their registrations;
	// nil: none (their pages and API answer 404).
	NetworkEvents partnerhub.NetworkEventService
	// MemberAdmin keeps the network's members and onboards them from a
	// workbook, for the network administrator's members pages; nil: those
	// pages answer 404.
	MemberAdmin MemberAdmin
	// Search answers the search page, its API and the header's search
	// box (store.DB); nil: none (the page and API answer 404, and no page
	// shows the box).
	Search partnerhub.SearchService
	// SSO is single sign-on's configuration (serve -sso-config); nil:
	// none. Federation keeps federated identities and who they admit
	// (store.DB); nil: no single sign-on.
	SSO        *sso.Config
	Federation partnerhub.FederationService
	// Webhooks keeps the home's webhook subscriptions (jobs.Webhooks);
	// nil: none (their pages answer 404).
	Webhooks partnerhub.WebhookService
	// OIDC is the OpenID Connect relying party (sso.NewRelyingParty);
	// nil: NewServer makes it from SSO's providers, if any, and starts
	// their discovery (web/sso_oidc.go). Without providers, their sign-in
	// answers 404.
	OIDC *sso.RelyingParty
	// SAML is the SAML service provider (GakuNin, eduGAIN), its identity
	// providers read (web/sso_saml.go); nil: no SAML sign-in. SAMLReplay
	// keeps the assertions accepted, across nodes (store.DB); nil: replay
	// is not checked, which only tests of other things may choose.
	SAML       *sso.ServiceProvider
	SAMLReplay sso.ReplayStore

	// The operator's settings (cmd/partnerhub's configuration); a zero
	// value takes the default named, so that tests set only what they test.

	// Portals is the deployment this home is a member of (set by
	// NewDeployment); nil: a single university.
	Portals Portals
	// ContentHome is the home the built-in texts describe (the home page's
	// introduction, the site's name, its sponsor): other homes' portals
	// show their own names instead. "": every home (a single university).
	ContentHome string
	// Prefix is the path of this home's portal in a deployment of several
	// members ("/tohoku"), without a trailing slash; "" for the first
	// member, whose pages keep the site's root. The Network strips it
	// before a request reaches the Server, and every link adds it back.
	Prefix string
	// BaseURL is the site's public scheme://host[:port], without a path.
	// Canonical and hreflang links, og:url and every other absolute link
	// are made from it, never from the request's Host, which the client
	// chooses. Default http://127.0.0.1:8080, the default -addr.
	BaseURL string
	// TrustedProxies are the peers whose X-Forwarded-For and
	// X-Forwarded-Proto are believed; nil or empty: none. Nothing is
	// trusted by default: a client on a private network (a campus) could
	// otherwise name any address it likes, and escape throttling.
	TrustedProxies []netip.Prefix
	SessionTTL     time.Duration // how long a sign-in lasts; default 12 hours
	// SessionIdle ends a session unused this long; default 30 minutes,
	// negative for never.
	SessionIdle time.Duration
	// MaxSessions is how many sessions a user holds at once (the oldest
	// ends); default partnerhub.MaxSessionsPerUser, negative for no limit.
	MaxSessions    int
	MaxBodyBytes   int64 // bound of a JSON request body; default 1 MiB
	MaxUploadBytes int64 // bound of an uploaded mobility file; default 256 MiB
	// MaxDocumentBytes bounds an agreement's document uploaded; default
	// partnerhub.DefaultMaxDocumentBytes (20 MiB).
	MaxDocumentBytes int64
	// The mobility imports that may run at once, across all nodes: of one
	// user (default 1) and of one home institution (default 2).
	MaxImportsPerUser, MaxImportsPerHome int
	// Jobs is the job queue (not yet started: NewServer registers the
	// server's workers on it); Imports keeps the imports it runs
	// (store.DB). Either nil: no imports in the browser, no jobs page.
	Jobs    *jobs.Queue
	Imports ImportStore
	// Metrics counts requests by route and status, their latency, and the
	// rows imports read (serve's -metrics-addr); nil: nothing is counted.
	Metrics *metrics.Metrics
	// MFARequired says who must enrol a second factor before anything
	// else; the zero value holds administrators only (serve's default is
	// everyone).
	MFARequired partnerhub.MFARequired
	// Now is the clock of sign-in attempts, which throttling reads;
	// default time.Now. Tests set it, so that no test waits.
	Now func() time.Time
}

// DefaultBaseURL is the base URL of a server whose operator named none.
const DefaultBaseURL = "http://127.0.0.1:8080"

// withDefaults fills the settings left zero.
func (d Deps) withDefaults() Deps {
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	d.BaseURL = strings.TrimSuffix(d.BaseURL, "/")
	if d.BaseURL == "" {
		d.BaseURL = DefaultBaseURL
	}
	if d.SessionTTL <= 0 {
		d.SessionTTL = sessionTTL
	}
	if d.SessionIdle == 0 {
		d.SessionIdle = sessionIdle
	}
	if d.MaxSessions == 0 {
		d.MaxSessions = partnerhub.MaxSessionsPerUser
	}
	if d.MaxBodyBytes <= 0 {
		d.MaxBodyBytes = maxBodyBytes
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.MaxUploadBytes <= 0 {
		d.MaxUploadBytes = maxUpload
	}
	if d.MaxDocumentBytes <= 0 {
		d.MaxDocumentBytes = partnerhub.DefaultMaxDocumentBytes
	}
	if d.MaxImportsPerUser <= 0 {
		d.MaxImportsPerUser = maxImportsPerUser
	}
	if d.MaxImportsPerHome <= 0 {
		d.MaxImportsPerHome = maxImportsPerHome
	}
	return d
}

// Server is the http.Handler of partnerhub.
type Server struct {
	deps    Deps
	mux     *http.ServeMux
	handler http.Handler             // mux behind the cross-origin protection and headers
	snap    atomic.Pointer[snapshot] // what the public sees: no drafts
	full    atomic.Pointer[snapshot] // what signed-in users see: drafts too
	version atomic.Int64             // the data version the snapshots were read at
	day     atomic.Int64             // the day (Unix seconds of its midnight UTC) the statuses were derived for

	openapiBody body
	assets      *assets
	templates   *template.Template // the layout and every page (parseTemplates)
	maps        *mapCache          // drawn once for every member (serverShared)
	gzips       sync.Pool          // *gzip.Writer at BestCompression, for gzipped
	imports     localImports       // mobility imports running on this node
	// importInput, when not nil, wraps the file of size bytes an import
	// reads in ctx (the job's): tests pause an import half way through
	// its file with it.
	importInput func(ctx context.Context, in io.Reader, size int64) io.Reader
	reloads     reloader // one Reload at a time, the calls meanwhile coalesced
	// sso are the hooks single sign-on's protocols add (web/sso.go).
	sso ssoHooks
}

// snapshot is one version of the programme, indexed, with the responses
// that do not depend on the request encoded once.
type snapshot struct {
	index *partnerhub.Index

	partners   body
	partnerBy  map[string]body
	units      body
	unitBy     map[string]body
	phases     body
	activities body

	pages        pageCache // rendered pages of this version
	loaded       time.Time // when this version was read, for Last-Modified
	lastModified []string
	langHeader   map[partnerhub.Lang][]string
}

// body is an encoded response with its validator.
type body struct {
	b      []byte
	etag   []string // header values, shared read-only so that serving
	length []string // a body allocates nothing for its headers
}

func newBody(v any) (body, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return body{}, err
	}
	return rawBody(buf.Bytes()), nil
}

// rawBody is a body already encoded.
func rawBody(b []byte) body {
	sum := sha256.Sum256(b)
	return body{b: b, etag: []string{`"` + hex.EncodeToString(sum[:12]) + `"`}, length: []string{strconv.Itoa(len(b))}}
}

// NewServer loads the programme of deps.Home and returns the server of a
// single university (NewDeployment serves several).
func NewServer(ctx context.Context, deps Deps) (*Server, error) {
	shared, err := newServerShared()
	if err != nil {
		return nil, err
	}
	s, err := newServer(ctx, deps, shared)
	if err != nil {
		return nil, err
	}
	if deps.Jobs != nil && deps.Imports != nil {
		registerJobs(deps.Jobs, func(context.Context, string) (*Server, error) { return s, nil })
	}
	return s, nil
}

// newServer loads the programme of deps.Home; its jobs are the caller's
// to register.
func newServer(ctx context.Context, deps Deps, shared *serverShared) (*Server, error) {
	deps = deps.withDefaults()
	s := &Server{deps: deps, mux: http.NewServeMux(), openapiBody: rawBody(openapiJSON),
		assets: shared.assets, templates: shared.templates, maps: shared.maps}
	if err := s.Reload(ctx); err != nil {
		return nil, err
	}
	if err := s.startOIDC(ctx); err != nil {
		return nil, err
	}
	s.routes()
	if deps.SAML != nil {
		s.sso.logout = s.samlLogout // SAML single logout (web/sso_saml.go)
	}
	// identify comes before protect, so that a refusal has its request id;
	// measure after identify, which gives the request a new context: the
	// mux must be handed the request measure reads the pattern from.
	s.handler = s.headers(s.identify(s.measure(s.protect(s.dbGate(s.mux)))))
	return s, nil
}

// Reload reads the programme again and swaps it in atomically; requests in
// flight finish on the version they started with. It returns once a
// reload that started after the call has swapped its version in: calls
// that come while one runs share the next (reload.go says why).
func (s *Server) Reload(ctx context.Context) error {
	return s.reloads.do(ctx, s.reload)
}

// reload is one Reload; never two at once (reloader).
func (s *Server) reload(ctx context.Context) error {
	var version int64
	if s.deps.Editor != nil {
		v, err := s.deps.Editor.DataVersion(ctx, s.deps.Home)
		if err != nil {
			return err
		}
		version = v
	}
	c, err := s.deps.Source.Catalog(ctx, s.deps.Home)
	if err != nil {
		return err
	}
	today := partnerhub.Today(s.deps.Now())
	c.DeriveAgreementStatuses(today)
	full, err := newSnapshot(c, s.base(), nil)
	if err != nil {
		return err
	}
	public, err := newSnapshot(c.Public(), s.base(), full)
	if err != nil {
		return err
	}
	// The pages the public reads most are ready before it reads them.
	s.warm(s.snap.Load(), public)
	s.full.Store(full)
	s.snap.Store(public)
	s.version.Store(version)
	s.day.Store(today.Unix())
	return nil
}

// Watch reloads the programme whenever its data version changes, so that
// every app node behind a load balancer shows another node's edits within
// one interval. It returns when ctx is done.
func (s *Server) Watch(ctx context.Context, every time.Duration) {
	if s.deps.Editor == nil {
		return
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		s.refresh(ctx, true)
	}
}

// refresh reloads the programme if its data version changed (asked only
// when written says some home may have been written), or if a new day
// in Tokyo changes statuses (expiring, expired) without any write. It
// reports false when the database did not answer: the caller asks again.
func (s *Server) refresh(ctx context.Context, written bool) (ok bool) {
	if s.deps.Editor == nil {
		return true
	}
	newDay := partnerhub.Today(s.deps.Now()).Unix() != s.day.Load()
	if !written && !newDay {
		return true
	}
	v, err := s.deps.Editor.DataVersion(ctx, s.deps.Home)
	if err != nil {
		s.deps.Logger.Warn("data version", "err", err)
		return false
	}
	if v != s.version.Load() || newDay {
		if err := s.Reload(ctx); err != nil {
			s.deps.Logger.Warn("reload", "err", err)
			return false
		}
	}
	return true
}

// afterWrite shows a write at once on this node; other nodes see it when
// they Watch.
func (s *Server) afterWrite(r *http.Request) {
	if err := s.Reload(r.Context()); err != nil {
		s.deps.Logger.Error("reload after write", "err", err)
	}
}

// snapFor is the snapshot a request reads: with drafts for a signed-in
// user who may read them (not a guest), without for everyone else. Only a
// request that carries credentials costs a lookup.
func (s *Server) snapFor(r *http.Request) *snapshot {
	if hasCredentials(r) && partnerhub.CanReadDrafts(s.user(r)) {
		return s.full.Load()
	}
	return s.snap.Load()
}

func hasCredentials(r *http.Request) bool {
	if r.Header.Get("Authorization") != "" {
		return true
	}
	if _, err := r.Cookie(sessionCookie); err == nil {
		return true
	}
	_, err := r.Cookie(secureSessionCookie)
	return err == nil
}

// newSnapshot indexes c; base is Deps.BaseURL, for the `next` links of
// the lists' first pages. like, when not nil, is the other snapshot of the
// same version (the public one is built after the full one): a response
// that encodes to the same bytes in both is kept once, shared.
func newSnapshot(c *partnerhub.Catalog, base string, like *snapshot) (*snapshot, error) {
	x := partnerhub.NewIndex(c)
	now := time.Now().UTC()
	sn := &snapshot{index: x, partnerBy: map[string]body{}, unitBy: map[string]body{},
		loaded: now, lastModified: []string{now.Format(http.TimeFormat)},
		langHeader: map[partnerhub.Lang][]string{partnerhub.Japanese: {"ja"}, partnerhub.English: {"en"}}}
	var err error
	// enc encodes v; prev is what like holds for it.
	enc := func(v any, prev func(*snapshot) body) body {
		if err != nil {
			return body{}
		}
		var b body
		b, err = newBody(v)
		if like != nil && err == nil {
			if p := prev(like); bytes.Equal(p.b, b.b) {
				return p
			}
		}
		return b
	}
	sn.partners = enc(firstPage(base, "/api/v1/partners", x.Partners(partnerhub.PartnerFilter{}), partnerKey), func(o *snapshot) body { return o.partners })
	for _, p := range x.Partners(partnerhub.PartnerFilter{}) {
		sn.partnerBy[p.Slug] = enc(p, func(o *snapshot) body { return o.partnerBy[p.Slug] })
	}
	sn.units = enc(firstPage(base, "/api/v1/units", x.Units(), unitKey), func(o *snapshot) body { return o.units })
	for _, u := range x.Units() {
		v, _ := x.Unit(u.Code)
		sn.unitBy[u.Code] = enc(v, func(o *snapshot) body { return o.unitBy[u.Code] })
	}
	sn.phases = enc(firstPage(base, "/api/v1/phases", x.Phases(), phaseKey), func(o *snapshot) body { return o.phases })
	sn.activities = enc(firstPage(base, "/api/v1/activities", x.Activities(partnerhub.ActivityFilter{}), activityKey), func(o *snapshot) body { return o.activities })
	if err != nil {
		return nil, fmt.Errorf("encode snapshot: %w", err)
	}
	return sn, nil
}

// listBody is the envelope of every list: {"items": [...], "next": URL|null}
// (lists.go pages them).
type listBody[T any] struct {
	Items []T     `json:"items"`
	Next  *string `json:"next"` // the following page; nil on the last
}

func list[T any](items []T) listBody[T] {
	if items == nil {
		items = []T{}
	}
	return listBody[T]{Items: items}
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.handler.ServeHTTP(w, r)
}

// l is the path of lang in this home's portal ("/en", "/tohoku/en").
func (s *Server) l(lang partnerhub.Lang) string { return s.deps.Prefix + "/" + string(lang) }

// base is the absolute URL of this home's portal: the site's BaseURL and
// the member's prefix.
func (s *Server) base() string { return s.deps.BaseURL + s.deps.Prefix }

// here is the request's own address as the client wrote it (with the
// member's prefix), for a "next" to come back to.
func (s *Server) here(r *http.Request) string { return s.deps.Prefix + r.URL.RequestURI() }

// cookiePath scopes the session's cookies to this home's portal, so that
// a member's session is not sent to another member's pages. (The server
// refuses a session of another home anyway: ofHome.)
func (s *Server) cookiePath() string { return s.deps.Prefix + "/" }
