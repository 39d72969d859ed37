package main

import (
	"context"
	"fmt"

	"partnerhub"
)

// userResetMFA is "partnerhub user reset-mfa": the way back in for someone
// who lost their authenticator app, passkeys and recovery codes.
func (a *app) userResetMFA(ctx context.Context, args []string) error {
	fs, f := a.userFlagSet("reset-mfa", "cli.user_usage_reset_mfa")
	email := fs.String("email", "", a.p.T("cli.user_flag_email"))
	if help, err := a.parse(fs, args); help || err != nil {
		return err
	}
	if err := a.required("email", *email); err != nil {
		return err
	}
	db, home, err := a.openHome(ctx, f, false)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.ResetMFA(ctx, home, *email); err != nil {
		return a.describe(err)
	}
	fmt.Fprintln(a.stdout, a.p.T("cli.user_mfa_reset", partnerhub.NormalizeEmail(*email)))
	return nil
}
