package main

import (
	"context"
	"flag"
	"fmt"

	"partnerhub"
	"partnerhub/store"
)

// userNetworkAdmin is "user network-admin -email E [-revoke]": network
// administrators change the institutions several home institutions share.
func (a *app) userNetworkAdmin(ctx context.Context, args []string) error {
	var revoke *bool
	flags := func(fs *flag.FlagSet) { revoke = fs.Bool("revoke", false, a.p.T("cli.user_flag_revoke")) }
	return a.forUser(ctx, "network-admin", "cli.user_usage_network_admin", args, flags, func(db *store.DB, home, email string) error {
		if err := db.SetNetworkAdmin(ctx, home, email, !*revoke); err != nil {
			return a.describe(err)
		}
		done := "cli.user_network_admin_granted"
		if *revoke {
			done = "cli.user_network_admin_revoked"
		}
		fmt.Fprintln(a.stdout, a.p.T(done, partnerhub.NormalizeEmail(email)))
		return nil
	})
}

// userNetworkEditor is "user network-editor -email E [-revoke]": network
// editors review the network's good-practice notes and run its events.
func (a *app) userNetworkEditor(ctx context.Context, args []string) error {
	var revoke *bool
	flags := func(fs *flag.FlagSet) { revoke = fs.Bool("revoke", false, a.p.T("cli.user_flag_revoke")) }
	return a.forUser(ctx, "network-editor", "cli.user_usage_network_editor", args, flags, func(db *store.DB, home, email string) error {
		if err := db.SetNetworkEditor(ctx, home, email, !*revoke); err != nil {
			return a.describe(err)
		}
		done := "cli.user_network_editor_granted"
		if *revoke {
			done = "cli.user_network_editor_revoked"
		}
		fmt.Fprintln(a.stdout, a.p.T(done, partnerhub.NormalizeEmail(email)))
		return nil
	})
}
