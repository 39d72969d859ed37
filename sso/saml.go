package sso

import (
	"context"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/xml"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/crewjam/saml"
	dsig "github.com/russellhaering/goxmldsig"

	"partnerhub"
)

// Paths of the service provider, below the site's base URL.
const (
	SAMLMetadataPath = "/saml/metadata"
	SAMLACSPath      = "/saml/acs"
	SAMLSLOPath      = "/saml/slo"
)

// ServiceProvider is the SAML service provider: its key, its identity providers (read
// again on schedule by Run) and the protocol of one sign-in.
type ServiceProvider struct {
	cfg      *SAMLConfig
	base     string // scheme://host[:port][/prefix] of the site
	key      *rsa.PrivateKey
	cert     *x509.Certificate
	client   *http.Client
	logger   *slog.Logger
	idps     atomic.Pointer[idpSet]
	loadedAt atomic.Pointer[time.Time]
}

type idpSet struct {
	list []IdP
	by   map[string]*IdP
}

// NewServiceProvider reads the service provider's key and certificate; Load reads its
// identity providers. base is the site's public URL (with a member's path,
// in a deployment of several). client fetches metadata; nil: a client
// with a one-minute timeout.
func NewServiceProvider(cfg *SAMLConfig, base string, client *http.Client, logger *slog.Logger) (*ServiceProvider, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	key, cert, err := readKeyPair(cfg.KeyFile, cfg.CertFile)
	if err != nil {
		return nil, err
	}
	if client == nil {
		client = providerClient(time.Minute)
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	p := &ServiceProvider{cfg: cfg, base: base, key: key, cert: cert, client: client, logger: logger}
	p.idps.Store(&idpSet{by: map[string]*IdP{}})
	return p, nil
}

func readKeyPair(keyFile, certFile string) (*rsa.PrivateKey, *x509.Certificate, error) {
	pair, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, nil, fmt.Errorf("saml: key pair: %w", err)
	}
	key, ok := pair.PrivateKey.(*rsa.PrivateKey)
	if !ok {
		return nil, nil, errors.New("saml: key_file must hold an RSA key (identity providers encrypt to it)")
	}
	cert, err := x509.ParseCertificate(pair.Certificate[0])
	if err != nil {
		return nil, nil, fmt.Errorf("saml: certificate: %w", err)
	}
	return key, cert, nil
}

// EntityID is the service provider's name in the federation.
func (p *ServiceProvider) EntityID() string {
	if p.cfg.EntityID != "" {
		return p.cfg.EntityID
	}
	return p.base + SAMLMetadataPath
}

// ACSURL is where identity providers post their answers.
func (p *ServiceProvider) ACSURL() string { return p.base + SAMLACSPath }

// Load reads every source of identity providers, and keeps what was read
// before of a source that fails. It fails only when no provider is known.
func (p *ServiceProvider) Load(ctx context.Context) error {
	now := time.Now()
	old := p.idps.Load()
	set := &idpSet{by: map[string]*IdP{}}
	var errs []error
	for _, src := range p.cfg.IdPs {
		idps, err := readMetadata(ctx, p.client, src, now)
		if err != nil {
			errs = append(errs, err)
			p.logger.Warn("saml metadata", "err", err)
			idps = old.from(src)
		}
		for _, idp := range idps {
			idp.source = src
			if _, dup := set.by[idp.EntityID]; !dup {
				set.list = append(set.list, idp)
				set.by[idp.EntityID] = nil
			}
		}
	}
	sortIdPs(set.list)
	for i := range set.list {
		set.by[set.list[i].EntityID] = &set.list[i]
	}
	if len(set.list) == 0 {
		return fmt.Errorf("saml: no identity provider: %w", errors.Join(errs...))
	}
	p.idps.Store(set)
	p.loadedAt.Store(&now)
	return nil
}

// from is what the set holds of one source.
func (s *idpSet) from(src SAMLMetadataSource) []IdP {
	var out []IdP
	for _, idp := range s.list {
		if idp.source == src {
			out = append(out, idp)
		}
	}
	return out
}

// Run reads the metadata again every refresh interval until ctx is done.
func (p *ServiceProvider) Run(ctx context.Context) {
	t := time.NewTicker(p.cfg.RefreshEvery())
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if err := p.Load(ctx); err != nil {
			p.logger.Error("saml metadata refresh", "err", err)
		}
	}
}

// IdPs lists the identity providers, ordered by name.
func (p *ServiceProvider) IdPs() []IdP { return p.idps.Load().list }

// IdP finds an identity provider by entity ID.
func (p *ServiceProvider) IdP(entityID string) (IdP, bool) {
	if idp := p.idps.Load().by[entityID]; idp != nil {
		return *idp, true
	}
	return IdP{}, false
}

// sp is the crewjam/saml service provider for one identity provider; now,
// when not zero, is the clock its checks read (tests move it).
func (p *ServiceProvider) sp(idp *IdP, now time.Time) *saml.ServiceProvider {
	mustURL := func(s string) url.URL {
		u, _ := url.Parse(s)
		return *u
	}
	sp := &saml.ServiceProvider{
		EntityID:                         p.EntityID(),
		Key:                              p.key,
		Certificate:                      p.cert,
		MetadataURL:                      mustURL(p.base + SAMLMetadataPath),
		AcsURL:                           mustURL(p.base + SAMLACSPath),
		SloURL:                           mustURL(p.base + SAMLSLOPath),
		SignatureMethod:                  dsig.RSASHA256SignatureMethod,
		AssertionConsumerServiceBindings: []string{saml.HTTPPostBinding},
		LogoutBindings:                   []string{saml.HTTPRedirectBinding},
		AuthnNameIDFormat:                saml.TransientNameIDFormat,
		RejectSHA1Signatures:             true,
		RejectExpiredIDPMetadata:         true,
		MetadataValidDuration:            7 * 24 * time.Hour,
	}
	if idp != nil {
		sp.IDPMetadata = idp.descriptor
	}
	if !now.IsZero() {
		sp.Clock = dsig.NewFakeClockAt(now)
	}
	return sp
}

// Metadata is the service provider's metadata, to register with a
// federation: entity ID, keys, the assertion consumer and logout services,
// the attributes it asks for, its organisation and contacts.
func (p *ServiceProvider) Metadata() ([]byte, error) {
	md := p.sp(nil, time.Time{}).Metadata()
	d := &md.SPSSODescriptors[0]
	yes, no := true, false
	var requested []saml.RequestedAttribute
	for _, a := range requestedAttributes {
		requested = append(requested, saml.RequestedAttribute{
			Attribute:  saml.Attribute{Name: a.oid, FriendlyName: a.friendly, NameFormat: "urn:oasis:names:tc:SAML:2.0:attrname-format:uri"},
			IsRequired: map[bool]*bool{true: &yes, false: &no}[a.required],
		})
	}
	d.AttributeConsumingServices = []saml.AttributeConsumingService{{
		Index: 1, IsDefault: &yes,
		ServiceNames:        names(p.serviceName()),
		RequestedAttributes: requested,
	}}
	if org := p.cfg.Organisation; !org.IsZero() {
		md.Organization = &saml.Organization{OrganizationNames: names(org), OrganizationDisplayNames: names(org)}
		if p.cfg.OrgURL != "" {
			for _, n := range names(org) {
				md.Organization.OrganizationURLs = append(md.Organization.OrganizationURLs, saml.LocalizedURI{Lang: n.Lang, Value: p.cfg.OrgURL})
			}
		}
	}
	for _, c := range p.cfg.Contacts {
		md.ContactPersons = append(md.ContactPersons, saml.ContactPerson{ContactType: c.Type, GivenName: c.Name, EmailAddresses: []string{"mailto:" + c.Email}})
	}
	b, err := xml.MarshalIndent(md, "", "  ")
	if err != nil {
		return nil, err
	}
	return append([]byte(xml.Header), b...), nil
}

func (p *ServiceProvider) serviceName() partnerhub.Text {
	return partnerhub.Text{Ja: "パートナーシップ管理 (partnerhub)", En: "Partnerships (partnerhub)"}
}

func names(t partnerhub.Text) []saml.LocalizedName {
	var out []saml.LocalizedName
	if t.Ja != "" {
		out = append(out, saml.LocalizedName{Lang: "ja", Value: t.Ja})
	}
	if t.En != "" {
		out = append(out, saml.LocalizedName{Lang: "en", Value: t.En})
	}
	return out
}

// AuthnRequest is a sign-in begun: the URL of the identity provider to send
// the browser to, and the request's ID, which its answer must name.
type AuthnRequest struct {
	URL string
	ID  string
}

// Start makes the AuthnRequest for an identity provider, with the REFEDS MFA
// context requested when mfa (or the configuration) asks for it.
func (p *ServiceProvider) Start(entityID, relayState string, mfa bool) (AuthnRequest, error) {
	idp, ok := p.IdP(entityID)
	if !ok {
		return AuthnRequest{}, partnerhub.Errorf(partnerhub.ENotFound, "saml.unknown_idp")
	}
	sp := p.sp(&idp, time.Time{})
	loc := sp.GetSSOBindingLocation(saml.HTTPRedirectBinding)
	if loc == "" {
		return AuthnRequest{}, partnerhub.Errorf(partnerhub.EInvalid, "saml.unknown_idp")
	}
	req, err := sp.MakeAuthenticationRequest(loc, saml.HTTPRedirectBinding, saml.HTTPPostBinding)
	if err != nil {
		return AuthnRequest{}, err
	}
	if mfa || p.cfg.RequireMFA {
		req.RequestedAuthnContext = &saml.RequestedAuthnContext{Comparison: "exact", AuthnContextClassRefs: []string{REFEDSMFA}}
	}
	u, err := req.Redirect(relayState, sp)
	if err != nil {
		return AuthnRequest{}, err
	}
	return AuthnRequest{URL: u.String(), ID: req.ID}, nil
}

// ReplayStore keeps the IDs of assertions accepted, on every node, until
// they expire: ConsumeSAMLAssertion reports false for an ID it holds.
type ReplayStore interface {
	ConsumeSAMLAssertion(ctx context.Context, id string, expires, now time.Time) (bool, error)
}

// replayCache is a ReplayStore as crewjam/saml asks for it, for one
// request.
type replayCache struct {
	ctx   context.Context
	store ReplayStore
	now   time.Time
}

func (c replayCache) Consume(id string, expires time.Time) error {
	fresh, err := c.store.ConsumeSAMLAssertion(c.ctx, id, expires, c.now)
	if err != nil {
		return err
	}
	if !fresh {
		return saml.ErrAssertionReplayed
	}
	return nil
}

// Answer is what an identity provider's answer is checked against.
type Answer struct {
	IdP       string    // the entity ID the request was sent to
	RequestID string    // the request's ID
	MFA       bool      // the REFEDS MFA context was asked for
	Now       time.Time // the clock; zero: time.Now
	Replay    ReplayStore
}

// Refusal is an identity provider's answer refused: Reason says why, for
// the person (a message key, saml.refused.*) and the log.
type Refusal struct {
	Reason string // tampered, expired, replayed, audience, destination, unsigned, request, status, invalid, identity
	Err    error
}

func (r *Refusal) Error() string { return "saml: refused (" + r.Reason + "): " + r.Err.Error() }
func (r *Refusal) Unwrap() error { return r.Err }

// Consume checks the answer r carries (the HTTP-POST binding) and maps
// the assertion to an Identity: a signed assertion, for this service
// provider, at this address, answering the request, within its validity,
// never seen before on any node.
func (p *ServiceProvider) Consume(r *http.Request, a Answer) (Identity, SAMLSession, error) {
	idp, ok := p.IdP(a.IdP)
	if !ok {
		return Identity{}, SAMLSession{}, &Refusal{"request", errors.New("unknown identity provider " + a.IdP)}
	}
	now := a.Now
	if now.IsZero() {
		now = time.Now()
	}
	sp := p.sp(&idp, now)
	if a.Replay != nil {
		sp.ReplayCache = replayCache{ctx: r.Context(), store: a.Replay, now: now}
	}
	if a.MFA || p.cfg.RequireMFA {
		sp.RequestedAuthnContext = &saml.RequestedAuthnContext{Comparison: "exact", AuthnContextClassRefs: []string{REFEDSMFA}}
		sp.ValidateAuthnContextClassRef = true
	}
	assertion, err := parseResponse(sp, r, a.RequestID)
	if err != nil {
		// Its Error() says only "Authentication failed"; the log wants why.
		var ire *saml.InvalidResponseError
		if errors.As(err, &ire) && ire.PrivateErr != nil {
			err = ire.PrivateErr
		}
		return Identity{}, SAMLSession{}, &Refusal{refusalReason(err), err}
	}
	// A response signed as a whole vouches for its assertion, but the
	// federations' rule, and this service provider's metadata
	// (WantAssertionsSigned), is a signature on the assertion itself.
	if assertion.Signature == nil {
		return Identity{}, SAMLSession{}, &Refusal{"unsigned", errors.New("the assertion is not signed")}
	}
	id, err := mapIdentity(idp.EntityID, assertion)
	if err != nil {
		return Identity{}, SAMLSession{}, &Refusal{"identity", err}
	}
	sess := SAMLSession{IdP: idp.EntityID, SessionIndex: id.SessionIndex}
	if n := assertion.Subject.NameID; n != nil {
		sess.NameID, sess.NameIDFormat = n.Value, n.Format
	}
	return id, sess, nil
}

// refusalReason sorts crewjam/saml's errors into what a person is told.
func refusalReason(err error) string {
	var status saml.ErrBadStatus
	switch {
	case errors.Is(err, saml.ErrAssertionReplayed):
		return "replayed"
	case strings.Contains(err.Error(), "signature element not present"):
		// Neither the response nor its assertion is signed (crewjam/saml
		// does not export this error).
		return "unsigned"
	case errors.Is(err, saml.ErrInvalidSignature), errors.Is(err, saml.ErrUntrustedCertificate):
		return "tampered"
	case errors.Is(err, saml.ErrExpired), errors.Is(err, saml.ErrNotYetValid):
		return "expired"
	case errors.Is(err, saml.ErrAudienceMismatch):
		return "audience"
	case errors.Is(err, saml.ErrDestinationMismatch):
		return "destination"
	case errors.Is(err, saml.ErrRequestIDMismatch):
		return "request"
	case errors.As(err, &status):
		return "status"
	case errors.Is(err, saml.ErrAuthnContextMismatch):
		return "mfa"
	}
	return "invalid"
}

// Logout is the identity provider's single logout URL for a session, ""
// when it offers none.
func (p *ServiceProvider) Logout(s SAMLSession, relayState string) (string, error) {
	idp, ok := p.IdP(s.IdP)
	if !ok || !idp.SingleLogout {
		return "", nil
	}
	sp := p.sp(&idp, time.Time{})
	if s.NameIDFormat != "" {
		sp.AuthnNameIDFormat = saml.NameIDFormat(s.NameIDFormat)
	}
	loc := sp.GetSLOBindingLocation(saml.HTTPRedirectBinding)
	if loc == "" {
		return "", nil
	}
	req, err := sp.MakeLogoutRequest(loc, s.NameID, saml.WithSessionIndex(s.SessionIndex))
	if err != nil {
		return "", err
	}
	u, err := sp.RedirectLogoutRequestURL(req, relayState)
	if err != nil {
		return "", err
	}
	return u.String(), nil
}

// SAMLSession is what single logout needs of a sign-in: the provider, the
// NameID it gave and its session.
type SAMLSession struct {
	IdP          string `json:"i"`
	NameID       string `json:"n"`
	NameIDFormat string `json:"f,omitempty"`
	SessionIndex string `json:"x,omitempty"`
}

// parseResponse is sp.ParseResponse with its panic made a refusal:
// crewjam/saml v0.6.3 reads the assertion's Issuer without looking whether
// there is one (GO-2026-6909, not fixed upstream), so a signed assertion
// without <Issuer> would end the request in a panic rather than a page.
func parseResponse(sp *saml.ServiceProvider, r *http.Request, requestID string) (a *saml.Assertion, err error) {
	defer func() {
		if p := recover(); p != nil {
			a, err = nil, fmt.Errorf("the assertion could not be read (no Issuer?): %v", p)
		}
	}()
	return sp.ParseResponse(r, []string{requestID})
}
