package authn

import (
	"time"

	"partnerhub"
)

// Sign-in throttling: after this many failures within FailureWindow for one
// e-mail address, or for one IP address, sign-in is refused without checking
// the password until the window has passed.
const (
	MaxFailuresPerEmail = 5
	MaxFailuresPerIP    = 30
	FailureWindow       = 15 * time.Minute
)

// failureRetention is how long failures are kept at all.
const failureRetention = 24 * time.Hour

// throttled refuses an attempt when the address or the IP address failed
// too often within the window.
func throttled(byEmail, byIP int, ip string) error {
	if byEmail >= MaxFailuresPerEmail || (ip != "" && byIP >= MaxFailuresPerIP) {
		return partnerhub.Errorf(partnerhub.ETooMany, "error.signin_throttled", int(FailureWindow/time.Minute))
	}
	return nil
}
