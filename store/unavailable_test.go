package store

import (
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"partnerhub"
)

// What says the database does not answer becomes EUnavailable; what says
// the query or the request was wrong keeps its meaning.
func TestUnavailableClassifies(t *testing.T) {
	for _, c := range []struct {
		name string
		err  error
		want string
	}{
		{"refused", &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}, partnerhub.EUnavailable},
		{"bad connection", fmt.Errorf("store: x: %w", driver.ErrBadConn), partnerhub.EUnavailable},
		{"cut mid-answer", fmt.Errorf("store: count: %w", io.ErrUnexpectedEOF), partnerhub.EUnavailable},
		{"admin shutdown", &pgconn.PgError{Code: "57P01"}, partnerhub.EUnavailable},
		{"starting up", &pgconn.PgError{Code: "57P03"}, partnerhub.EUnavailable},
		{"connection exception", &pgconn.PgError{Code: "08006"}, partnerhub.EUnavailable},
		{"unique violation", &pgconn.PgError{Code: "23505"}, partnerhub.EInternal},
		{"syntax error", &pgconn.PgError{Code: "42601"}, partnerhub.EInternal},
		{"a bare EOF (an empty body)", io.EOF, partnerhub.EInternal},
		{"a refusal keeps its code", partnerhub.Errorf(partnerhub.EInvalid, "error.invalid"), partnerhub.EInvalid},
	} {
		if got := partnerhub.ErrorCode(Unavailable(c.err)); got != c.want {
			t.Errorf("%s: %s, want %s", c.name, got, c.want)
		}
	}
	if Unavailable(nil) != nil {
		t.Error("nil is not an error")
	}
}
