package main

import (
	"context"
	"log/slog"

	"partnerhub/sso"
)

// startSAML makes the SAML service provider of serve's single sign-on
// (web.Deps.SAML), when the -sso-config file has a "saml" part: it reads
// the key pair and the identity providers' metadata now (serve stops when
// none can be read), and again every refresh interval until ctx ends.
// base is the site's -base-url; nil without SAML.
func startSAML(ctx context.Context, c *sso.Config, base string, log *slog.Logger) (*sso.ServiceProvider, error) {
	if c == nil || c.SAML == nil {
		return nil, nil
	}
	sp, err := sso.NewServiceProvider(c.SAML, base, nil, log)
	if err != nil {
		return nil, err
	}
	if err := sp.Load(ctx); err != nil {
		return nil, err
	}
	log.Info("saml", "entity_id", sp.EntityID(), "idps", len(sp.IdPs()), "refresh", c.SAML.RefreshEvery().String())
	go sp.Run(ctx)
	return sp, nil
}
