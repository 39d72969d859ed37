package partnerhub

import "context"

// FundPeopleService seats people on a fund's committee by the address the
// office knows them by.
type FundPeopleService interface {
	// SeatByEmail grants s (its UserID ignored) to the user of home with
	// email; an address no user of home has is a field error on "email".
	SeatByEmail(ctx context.Context, actor *User, home, fund, email string, s FundSeat) error
}
