package main

import (
	"context"
	"fmt"

	"partnerhub"
	"partnerhub/store"
)

// userResetMFA is "partnerhub user reset-mfa": the way back in for someone
// who lost their authenticator app, passkeys and recovery codes.
func (a *app) userResetMFA(ctx context.Context, args []string) error {
	return a.forUser(ctx, "reset-mfa", "cli.user_usage_reset_mfa", args, nil, func(db *store.DB, home, email string) error {
		if err := db.ResetMFA(ctx, home, email); err != nil {
			return a.describe(err)
		}
		fmt.Fprintln(a.stdout, a.p.T("cli.user_mfa_reset", partnerhub.NormalizeEmail(email)))
		return nil
	})
}
