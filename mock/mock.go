// Package mock holds fakes of the domain's services, for tests of the web
// layer that need no database: each method calls the function the test
// sets, or fails plainly when the test set none.
package mock

import (
	"context"
	"errors"
	"iter"
	"sync"
	"time"

	"partnerhub"
)

// ErrNotSet is what a method without its function returns.
var ErrNotSet = errors.New("mock: no function set for this method")

// Catalogs is a CatalogService holding catalogs in memory, by home.
type Catalogs struct {
	mu     sync.Mutex
	byHome map[string]*partnerhub.Catalog
	// PingErr is what Ping answers.
	PingErr error
}

// NewCatalogs holds the catalogs given, each under its home's slug.
func NewCatalogs(cs ...*partnerhub.Catalog) *Catalogs {
	m := &Catalogs{byHome: map[string]*partnerhub.Catalog{}}
	for _, c := range cs {
		m.byHome[c.Home.Slug] = c
	}
	return m
}

// Set replaces a home's catalog, as a write would.
func (m *Catalogs) Set(c *partnerhub.Catalog) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.byHome[c.Home.Slug] = c
}

func (m *Catalogs) Catalog(_ context.Context, home string) (*partnerhub.Catalog, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	c, ok := m.byHome[home]
	if !ok {
		return nil, partnerhub.Errorf(partnerhub.ENotFound, "error.home_not_found", home)
	}
	return c, nil
}

func (m *Catalogs) Ping(context.Context) error { return m.PingErr }

// Editor is an Editor whose methods are the functions set.
type Editor struct {
	ApplyFn       func(ctx context.Context, c partnerhub.Change) (int, error)
	RecordFn      func(ctx context.Context, home string, e partnerhub.Entity, key string) (partnerhub.Record, bool, error)
	BinFn         func(ctx context.Context, home string) ([]partnerhub.BinItem, error)
	AuditFn       func(ctx context.Context, home string, f partnerhub.AuditFilter) ([]partnerhub.AuditEvent, error)
	DataVersionFn func(ctx context.Context, home string) (int64, error)
}

func (m *Editor) Apply(ctx context.Context, c partnerhub.Change) (int, error) {
	if m.ApplyFn == nil {
		return 0, ErrNotSet
	}
	return m.ApplyFn(ctx, c)
}

func (m *Editor) Record(ctx context.Context, home string, e partnerhub.Entity, key string) (partnerhub.Record, bool, error) {
	if m.RecordFn == nil {
		return nil, false, ErrNotSet
	}
	return m.RecordFn(ctx, home, e, key)
}

func (m *Editor) Bin(ctx context.Context, home string) ([]partnerhub.BinItem, error) {
	if m.BinFn == nil {
		return nil, ErrNotSet
	}
	return m.BinFn(ctx, home)
}

func (m *Editor) Audit(ctx context.Context, home string, f partnerhub.AuditFilter) ([]partnerhub.AuditEvent, error) {
	if m.AuditFn == nil {
		return nil, ErrNotSet
	}
	return m.AuditFn(ctx, home, f)
}

// DataVersion answers 0 when no function is set: the data never changes.
func (m *Editor) DataVersion(ctx context.Context, home string) (int64, error) {
	if m.DataVersionFn == nil {
		return 0, nil
	}
	return m.DataVersionFn(ctx, home)
}

// Accounts is an AccountService that knows one session token per user
// given to SignIn, and nothing else unless its functions are set.
type Accounts struct {
	mu       sync.Mutex
	sessions map[string]*partnerhub.User
	// TokenUserFn answers TokenUser when set.
	TokenUserFn func(ctx context.Context, raw string, now time.Time) (*partnerhub.User, error)
}

// SignIn makes a session for u and returns its token, for a cookie.
func (m *Accounts) SignIn(u *partnerhub.User, token string) string {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.sessions == nil {
		m.sessions = map[string]*partnerhub.User{}
	}
	m.sessions[token] = u
	return token
}

func (m *Accounts) CreateSession(context.Context, int64, time.Time, partnerhub.SessionSpec) (string, error) {
	return "", ErrNotSet
}

func (m *Accounts) Sessions(context.Context, int64, string, time.Time) ([]partnerhub.Session, error) {
	return []partnerhub.Session{}, nil
}

func (m *Accounts) EndSession(context.Context, int64, string) error { return ErrNotSet }

func (m *Accounts) EndOtherSessions(context.Context, int64, string) (int, error) { return 0, ErrNotSet }

func (m *Accounts) ChangePassword(context.Context, int64, string, string, string, time.Time) error {
	return ErrNotSet
}

func (m *Accounts) SessionUser(_ context.Context, token string, _ time.Time) (*partnerhub.User, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if u, ok := m.sessions[token]; ok {
		return u, nil
	}
	return nil, partnerhub.Errorf(partnerhub.EUnauthorized, "error.unauthorized")
}

// SessionAuthAt calls every session of the mock freshly signed in.
func (m *Accounts) SessionAuthAt(_ context.Context, _ string, now time.Time) (time.Time, error) {
	return now, nil
}

func (m *Accounts) Reauthenticate(context.Context, int64, string, string, time.Time) error {
	return ErrNotSet
}

func (m *Accounts) DeleteSession(_ context.Context, token string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.sessions, token)
	return nil
}

func (m *Accounts) CreateToken(context.Context, int64, partnerhub.TokenSpec, time.Time) (string, partnerhub.APIToken, error) {
	return "", partnerhub.APIToken{}, ErrNotSet
}

func (m *Accounts) Tokens(context.Context, int64) ([]partnerhub.APIToken, error) { return nil, nil }

func (m *Accounts) RevokeToken(context.Context, int64, int64, time.Time) error { return ErrNotSet }

// TokenUser answers with TokenUserFn's user and a read-write token.
func (m *Accounts) TokenUser(ctx context.Context, raw string, now time.Time) (*partnerhub.User, partnerhub.APIToken, error) {
	if m.TokenUserFn == nil {
		return nil, partnerhub.APIToken{}, partnerhub.Errorf(partnerhub.EUnauthorized, "error.unauthorized")
	}
	u, err := m.TokenUserFn(ctx, raw, now)
	if err != nil {
		return nil, partnerhub.APIToken{}, err
	}
	return u, partnerhub.APIToken{UserID: u.ID, Scope: partnerhub.ScopeWrite}, nil
}

// Mobility is a MobilityService whose methods are the functions set.
type Mobility struct {
	StatsFn  func(ctx context.Context, q partnerhub.StatsQuery) ([]partnerhub.StatsRow, error)
	ListFn   func(ctx context.Context, home string, f partnerhub.MobilityFilter, limit, offset int) ([]partnerhub.Mobility, int64, error)
	PutFn    func(ctx context.Context, actor *partnerhub.User, home string, m partnerhub.Mobility) error
	ImportFn func(ctx context.Context, actor *partnerhub.User, home string, rows iter.Seq2[int, partnerhub.Mobility],
		rowsFailed func() bool, progress func(rows int64)) (partnerhub.ImportResult, error)
}

// Stats answers no rows when no function is set: nothing is recorded.
func (m *Mobility) Stats(ctx context.Context, q partnerhub.StatsQuery) ([]partnerhub.StatsRow, error) {
	if m.StatsFn == nil {
		return nil, nil
	}
	return m.StatsFn(ctx, q)
}

func (m *Mobility) ListMobility(ctx context.Context, home string, f partnerhub.MobilityFilter, limit, offset int) ([]partnerhub.Mobility, int64, error) {
	if m.ListFn == nil {
		return nil, 0, nil
	}
	return m.ListFn(ctx, home, f, limit, offset)
}

func (m *Mobility) PutMobility(ctx context.Context, actor *partnerhub.User, home string, fig partnerhub.Mobility) error {
	if m.PutFn == nil {
		return ErrNotSet
	}
	return m.PutFn(ctx, actor, home, fig)
}

func (m *Mobility) ImportMobility(ctx context.Context, actor *partnerhub.User, home string, rows iter.Seq2[int, partnerhub.Mobility],
	rowsFailed func() bool, progress func(rows int64)) (partnerhub.ImportResult, error) {
	if m.ImportFn == nil {
		return partnerhub.ImportResult{}, ErrNotSet
	}
	return m.ImportFn(ctx, actor, home, rows, rowsFailed, progress)
}

var (
	_ partnerhub.CatalogService  = (*Catalogs)(nil)
	_ partnerhub.Editor          = (*Editor)(nil)
	_ partnerhub.AccountService  = (*Accounts)(nil)
	_ partnerhub.MobilityService = (*Mobility)(nil)
)
