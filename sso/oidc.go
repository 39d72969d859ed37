package sso

// The OpenID Connect relying party: the authorisation code flow with PKCE
// (S256), state and nonce, for each configured provider. What a flow must
// remember between the redirect to the provider and its answer is sealed
// into a cookie (oidc_flow.go); the ID token is verified here, and its
// claims mapped to an Identity (oidc_claims.go). Who the identity may be
// here is not this file's business.

import (
	"context"
	"crypto/hkdf"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

const (
	// oidcRetryAfter is how long a failed discovery is not tried again on
	// a sign-in's request (the background retries keep their own pace).
	oidcRetryAfter = 5 * time.Second
	// oidcMaxBackoff bounds the wait between background discoveries.
	oidcMaxBackoff = 5 * time.Minute
	// oidcTimeout bounds every request to a provider.
	oidcTimeout = 15 * time.Second
)

// RelyingParty is the OpenID Connect relying party of a deployment: one
// client for each of its providers.
type RelyingParty struct {
	clients []*OIDCClient // in the configuration's order
	logger  *slog.Logger
}

// OIDCClient is the relying party of one provider. Its provider's
// discovery document is fetched once, when first it answers.
type OIDCClient struct {
	Config OIDCProvider
	secret string
	key    []byte // seals the flow cookie (oidc_flow.go)
	http   *http.Client

	mu       sync.Mutex
	provider *oidc.Provider
	verifier *oidc.IDTokenVerifier
	tried    time.Time
	err      error
}

// NewRelyingParty checks the providers' configuration and reads their secrets; it
// does not reach the providers (Discover does). client makes every request
// to a provider (nil: one with a timeout).
func NewRelyingParty(providers []OIDCProvider, getenv func(string) string, client *http.Client, logger *slog.Logger) (*RelyingParty, error) {
	if err := ValidateOIDC(providers); err != nil {
		return nil, err
	}
	if client == nil {
		client = providerClient(oidcTimeout)
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	o := &RelyingParty{logger: logger}
	for _, p := range providers {
		secret, err := p.Secret(getenv)
		if err != nil {
			return nil, err
		}
		// The cookie's key comes from the client secret, which every node
		// of a deployment reads from the same configuration: a flow begun
		// on one node ends on any other, and nothing more is configured.
		key, err := hkdf.Key(sha256.New, []byte(secret), nil, "partnerhub oidc flow "+p.ID, 32)
		if err != nil {
			return nil, err
		}
		o.clients = append(o.clients, &OIDCClient{Config: p, secret: secret, key: key, http: client})
	}
	return o, nil
}

// Clients are the providers, in the configuration's order.
func (o *RelyingParty) Clients() []*OIDCClient {
	if o == nil {
		return nil
	}
	return o.clients
}

// Client is the provider of that id, or nil.
func (o *RelyingParty) Client(id string) *OIDCClient {
	for _, c := range o.Clients() {
		if c.Config.ID == id {
			return c
		}
	}
	return nil
}

// Discover fetches each provider's discovery document in the background,
// and, for one that does not answer, logs why and tries again (waiting
// longer each time, up to five minutes) until it answers or ctx ends. It
// returns at once: a provider that is down delays nobody, and its sign-in
// says it cannot be reached (while it is down, each sign-in tries again).
func (o *RelyingParty) Discover(ctx context.Context) {
	for _, c := range o.Clients() {
		go c.keepDiscovering(ctx, o.logger)
	}
}

func (c *OIDCClient) keepDiscovering(ctx context.Context, logger *slog.Logger) {
	wait := 2 * time.Second
	for {
		if _, err := c.discover(ctx); err == nil {
			logger.Info("sso: oidc provider discovered", "provider", c.Config.ID, "issuer", c.Config.Issuer)
			return
		} else if ctx.Err() != nil {
			return
		} else {
			logger.Error("sso: oidc provider discovery failed; its sign-in is unavailable until it answers",
				"provider", c.Config.ID, "issuer", c.Config.Issuer, "err", err, "retry_in", wait.String())
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		wait = min(2*wait, oidcMaxBackoff)
	}
}

// discover fetches the discovery document once more, unless another
// caller has it already.
func (c *OIDCClient) discover(ctx context.Context) (*oidc.Provider, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.provider != nil {
		return c.provider, nil
	}
	c.tried = time.Now()
	ctx, cancel := context.WithTimeout(oidc.ClientContext(ctx, c.http), oidcTimeout)
	defer cancel()
	p, err := oidc.NewProvider(ctx, c.Config.Issuer)
	if err != nil {
		c.err = fmt.Errorf("sso: oidc %q: discovery of %s: %w", c.Config.ID, c.Config.Issuer, err)
		return nil, c.err
	}
	// The key set is fetched (and refreshed when a token names a new key)
	// with the client's HTTP client, not the request's context.
	c.provider, c.err = p, nil
	c.verifier = p.VerifierContext(oidc.ClientContext(context.Background(), c.http), &oidc.Config{ClientID: c.Config.ClientID})
	return p, nil
}

// ready is the discovered provider, trying discovery now when it has not
// answered yet and was not tried in the last few seconds.
func (c *OIDCClient) ready(ctx context.Context) (*oidc.Provider, error) {
	c.mu.Lock()
	p, tried, err := c.provider, c.tried, c.err
	c.mu.Unlock()
	if p != nil {
		return p, nil
	}
	if err != nil && time.Since(tried) < oidcRetryAfter {
		return nil, &OIDCError{Reason: OIDCUnreachable, Err: err}
	}
	p, err = c.discover(ctx)
	if err != nil {
		return nil, &OIDCError{Reason: OIDCUnreachable, Err: err}
	}
	return p, nil
}

func (c *OIDCClient) oauth2(p *oidc.Provider, redirectURL string) *oauth2.Config {
	scopes := []string{oidc.ScopeOpenID}
	for _, s := range c.Config.Scopes {
		if !slices.Contains(scopes, s) {
			scopes = append(scopes, s)
		}
	}
	if len(c.Config.Scopes) == 0 {
		scopes = append(scopes, "email", "profile")
	}
	return &oauth2.Config{ClientID: c.Config.ClientID, ClientSecret: c.secret, Endpoint: p.Endpoint(),
		RedirectURL: redirectURL, Scopes: scopes}
}

// Begin starts a sign-in: the URL of the provider's authorisation
// endpoint to send the browser to, and the flow to keep until it comes
// back (Seal it into the browser's cookie).
func (c *OIDCClient) Begin(ctx context.Context, redirectURL string, f Flow) (string, Flow, error) {
	p, err := c.ready(ctx)
	if err != nil {
		return "", Flow{}, err
	}
	f.Provider, f.State, f.Nonce, f.Verifier = c.Config.ID, randomToken(), randomToken(), oauth2.GenerateVerifier()
	opts := []oauth2.AuthCodeOption{oauth2.S256ChallengeOption(f.Verifier), oidc.Nonce(f.Nonce)}
	if len(c.Config.ACRValues) > 0 {
		opts = append(opts, oauth2.SetAuthURLParam("acr_values", joinSpace(c.Config.ACRValues)))
	}
	return c.oauth2(p, redirectURL).AuthCodeURL(f.State, opts...), f, nil
}

// Finish ends a sign-in the provider answered with code: it redeems the
// code (with the flow's PKCE verifier), verifies the ID token (signature,
// issuer, audience, expiry, and the flow's nonce) and maps its claims,
// with the UserInfo endpoint's for the claims the token leaves out.
func (c *OIDCClient) Finish(ctx context.Context, redirectURL string, f Flow, code string) (Identity, error) {
	p, err := c.ready(ctx)
	if err != nil {
		return Identity{}, err
	}
	ctx, cancel := context.WithTimeout(oidc.ClientContext(ctx, c.http), oidcTimeout)
	defer cancel()
	conf := c.oauth2(p, redirectURL)
	tok, err := conf.Exchange(ctx, code, oauth2.VerifierOption(f.Verifier))
	if err != nil {
		// A code used twice, expired, or issued to another client or
		// redirect URI: the provider says invalid_grant.
		return Identity{}, &OIDCError{Reason: OIDCCodeRefused, Err: err}
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return Identity{}, &OIDCError{Reason: OIDCTokenInvalid, Err: errors.New("the token response holds no id_token")}
	}
	c.mu.Lock()
	verifier := c.verifier
	c.mu.Unlock()
	idt, err := verifier.Verify(ctx, raw)
	if err != nil {
		return Identity{}, &OIDCError{Reason: OIDCTokenInvalid, Err: err}
	}
	if subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(f.Nonce)) != 1 {
		return Identity{}, &OIDCError{Reason: OIDCNonce, Err: errors.New("the ID token's nonce is not the flow's")}
	}
	claims := map[string]any{}
	if err := idt.Claims(&claims); err != nil {
		return Identity{}, &OIDCError{Reason: OIDCTokenInvalid, Err: err}
	}
	// OpenID Connect Core 3.1.3.7: with several audiences, the token must
	// name us as the party it was issued to.
	if len(idt.Audience) > 1 {
		if azp, _ := claims["azp"].(string); azp != c.Config.ClientID {
			return Identity{}, &OIDCError{Reason: OIDCTokenInvalid, Err: errors.New("several audiences and azp is not our client id")}
		}
	}
	if p.UserInfoEndpoint() != "" {
		ui, err := p.UserInfo(ctx, oauth2.StaticTokenSource(tok))
		if err != nil {
			return Identity{}, &OIDCError{Reason: OIDCProviderFailed, Err: err}
		}
		// Core 5.3.2: a UserInfo response about anyone else is ignored
		// whole, not merged.
		if ui.Subject != idt.Subject {
			return Identity{}, &OIDCError{Reason: OIDCTokenInvalid, Err: errors.New("the UserInfo response is about another subject")}
		}
		more := map[string]any{}
		if err := ui.Claims(&more); err == nil {
			for k, v := range more {
				// The ID token is signed; what it says wins, and the
				// authentication's own claims come from it alone.
				if _, ok := claims[k]; !ok && k != "acr" && k != "amr" {
					claims[k] = v
				}
			}
		}
	}
	id, err := c.Config.identity(idt.Issuer, claims)
	if err != nil {
		return Identity{}, &OIDCError{Reason: OIDCClaimsMissing, Err: err}
	}
	return id, nil
}

// Reasons an OpenID Connect sign-in fails, for its message and its log.
const (
	OIDCUnreachable    = "unreachable"     // discovery failed
	OIDCCodeRefused    = "code_refused"    // the token endpoint refused the code
	OIDCTokenInvalid   = "id_token"        // the ID token failed verification
	OIDCNonce          = "nonce"           // the ID token's nonce is not ours
	OIDCClaimsMissing  = "claims"          // no usable subject
	OIDCProviderFailed = "provider_failed" // UserInfo failed
)

// OIDCError is a failed OpenID Connect sign-in, with why.
type OIDCError struct {
	Reason string
	Err    error
}

func (e *OIDCError) Error() string { return "sso: oidc: " + e.Reason + ": " + e.Err.Error() }
func (e *OIDCError) Unwrap() error { return e.Err }
