package store

// Which errors mean "the database does not answer now": they become
// partnerhub.EUnavailable, which the web answers with 503 and Retry-After
// rather than 500, since trying again later is the whole remedy. Anything
// else a query can fail with (a constraint, a bug in SQL) stays what it
// is.

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"strings"
	"syscall"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"

	"partnerhub"
)

// Unavailable returns err as an EUnavailable error when it says the
// database cannot be reached or is shutting down, and err unchanged
// otherwise: an error of the application keeps its own code. Callers that
// render errors (web) pass every error through it; the store's own
// connection attempts are wrapped already (reachConnector).
func Unavailable(err error) error {
	if err == nil {
		return nil
	}
	var e *partnerhub.Error
	if errors.As(err, &e) && e.Code != partnerhub.EInternal {
		return err
	}
	if !unreachable(err) {
		return err
	}
	return &partnerhub.Error{Code: partnerhub.EUnavailable, Message: "unavailable.database", Err: err}
}

// unreachable reports whether err comes of the database's absence rather
// than of the query: no connection could be made, the one in use broke,
// or the server is shutting down or not yet accepting connections.
func unreachable(err error) bool {
	var (
		ce *pgconn.ConnectError
		pe *pgconn.PgError
		oe *net.OpError
		se *sqlite.Error
	)
	switch {
	case errors.As(err, &ce), errors.As(err, &oe):
		return true
	case errors.Is(err, driver.ErrBadConn), errors.Is(err, sql.ErrConnDone), errors.Is(err, pgconn.ErrConnClosed),
		errors.Is(err, net.ErrClosed), errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		return true
	case errors.As(err, &pe):
		// 57P01 admin_shutdown, 57P02 crash_shutdown, 57P03
		// cannot_connect_now (starting up, or in recovery), class 08
		// connection exceptions, 53300 too_many_connections.
		return pe.Code == "57P01" || pe.Code == "57P02" || pe.Code == "57P03" || pe.Code == "53300" || strings.HasPrefix(pe.Code, "08")
	case errors.As(err, &se):
		// SQLITE_BUSY (5) and SQLITE_LOCKED (6), by their primary code:
		// another process held the file past the busy timeout.
		code := se.Code() & 0xff
		return code == 5 || code == 6
	case pgconn.Timeout(err) && !errors.Is(err, context.Canceled):
		// A deadline passed in pgx waiting on the server (the request's
		// own end is not the database's fault, and not a 503).
		return true
	case errors.Is(err, io.ErrUnexpectedEOF):
		// The connection ended in the middle of an answer: pgx returns
		// it bare from a query's rows. (A request body cut short ends so
		// too, should one reach here undecoded: "try again" suits it.)
		return true
	case errors.Is(err, io.EOF):
		// Only from pgx's own errors: a bare io.EOF is also what an
		// empty body or a finished file says.
		var r interface{ SafeToRetry() bool }
		return errors.As(err, &r)
	}
	return false
}

// reachConnector makes the store's connections, and says in the
// application's terms when none can be made: the database is unavailable,
// which the caller may show as such, and try again later.
type reachConnector struct{ driver.Connector }

func (c reachConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, &partnerhub.Error{Code: partnerhub.EUnavailable, Message: "unavailable.database", Err: err}
	}
	return conn, nil
}
