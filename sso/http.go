package sso

import (
	"net/http"
	"time"
)

// providerClient is how single sign-on reaches identity providers and
// federations: a bounded wait, and no redirect followed. A provider's
// documents and endpoints are where its configuration or metadata says;
// a redirect elsewhere (to the server's own network, say) fails with the
// provider's status rather than being followed.
func providerClient(timeout time.Duration) *http.Client {
	return &http.Client{Timeout: timeout, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}
}
