package web

import "partnerhub/authn"

// The web suite tests what is done with passwords (sign-in, changes,
// invitations), not argon2's cost, and signs people in hundreds of times:
// at the production cost that is minutes of CPU under the race detector.
// authn's and store's tests keep the production cost and check it.
func init() { authn.UseMinimumCostForTests() }
