package main

import (
	"context"
	"fmt"

	"partnerhub"
)

// userNetworkAdmin is "user network-admin -email E [-revoke]": network
// administrators change the institutions several home institutions share.
func (a *app) userNetworkAdmin(ctx context.Context, args []string) error {
	fs, f := a.userFlagSet("network-admin", "cli.user_usage_network_admin")
	email := fs.String("email", "", a.p.T("cli.user_flag_email"))
	revoke := fs.Bool("revoke", false, a.p.T("cli.user_flag_revoke"))
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
	if err := db.SetNetworkAdmin(ctx, home, *email, !*revoke); err != nil {
		return a.describe(err)
	}
	done := "cli.user_network_admin_granted"
	if *revoke {
		done = "cli.user_network_admin_revoked"
	}
	fmt.Fprintln(a.stdout, a.p.T(done, partnerhub.NormalizeEmail(*email)))
	return nil
}
