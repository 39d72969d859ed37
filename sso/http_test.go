package sso

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"partnerhub"
)

// A provider whose discovery document or federation whose metadata
// answers with a redirect is not followed there: the sign-in says the
// provider cannot be reached, and the other host is never asked.
func TestProvidersRedirectsAreNotFollowed(t *testing.T) {
	asked := make(chan string, 4)
	elsewhere := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		asked <- r.URL.Path
		http.Error(w, "not here", http.StatusNotFound)
	}))
	defer elsewhere.Close()
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, elsewhere.URL+r.URL.Path, http.StatusFound)
	}))
	defer ts.Close()

	rp, err := NewRelyingParty([]OIDCProvider{{ID: "uni", Name: partnerhub.Text{Ja: "大学", En: "University"}, Issuer: ts.URL,
		ClientID: "ph", ClientSecret: "s"}}, nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = rp.Client("uni").Begin(context.Background(), "https://ph.example/sso/oidc/uni/callback", Flow{})
	var oe *OIDCError
	if !errors.As(err, &oe) || oe.Reason != OIDCUnreachable {
		t.Fatalf("discovery through a redirect: %v", err)
	}

	resp, err := providerClient(time.Second).Get(ts.URL + "/metadata.xml")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		t.Errorf("metadata through a redirect: status %d, want the redirect itself (302)", resp.StatusCode)
	}
	select {
	case p := <-asked:
		t.Errorf("the other host was asked for %s", p)
	default:
	}
}
