package partnerhub

import (
	"context"
	"time"
)

// Credentials are what a person presents to sign in with a password.
type Credentials struct {
	Email    string
	Password string
	IP       string    // the client's address, for throttling; "" when unknown
	At       time.Time // when the attempt was made
}

// Authenticator tells who signs in to a home institution. A wrong or
// unknown credential is EUnauthorized ("error.signin_failed"), too many
// attempts ETooMany. Passwords are one provider (package authn); single
// sign-on will be another.
type Authenticator interface {
	Authenticate(ctx context.Context, home string, c Credentials) (*User, error)
}
