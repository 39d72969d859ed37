package store

import (
	"context"
	"strings"

	"partnerhub"
)

// SeatByEmail seats the user of home with email on a fund's committee.
// Who may seat whom is SetFundSeat's to decide: an address of no user of
// the home is answered only to those who may, so that the form cannot be
// used to learn who has an account.
func (db *DB) SeatByEmail(ctx context.Context, actor *partnerhub.User, home, fund, email string, s partnerhub.FundSeat) error {
	a, err := db.FundAccess(ctx, actor, home, fund)
	if err != nil {
		return err
	}
	if !a.Has(partnerhub.FundAdmin) {
		return partnerhub.Errorf(partnerhub.EForbidden, "error.forbidden_fund")
	}
	email = strings.TrimSpace(email)
	unknown := &partnerhub.Error{Code: partnerhub.EInvalid, Message: "error.invalid",
		Fields: partnerhub.FieldErrors{"email": {Key: "unknown_user_email", Args: []any{email}}}}
	if email == "" {
		return &partnerhub.Error{Code: partnerhub.EInvalid, Message: "error.invalid", Fields: partnerhub.FieldErrors{"email": {Key: "required"}}}
	}
	u, err := db.UserByEmail(ctx, email)
	if partnerhub.ErrorCode(err) == partnerhub.ENotFound || err == nil && (u.Home != home || u.Disabled) {
		return unknown
	}
	if err != nil {
		return err
	}
	s.UserID = u.ID
	return db.SetFundSeat(ctx, actor, home, fund, s)
}

var _ partnerhub.FundPeopleService = (*DB)(nil)
