package store

// PostgreSQL, through pgx's database/sql driver: one pool serves reads and
// writes.

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"

	"partnerhub"
)

var postgresDialect = dialect{
	name:     "postgres",
	goose:    goose.DialectPostgres,
	numbered: true,
	// The type is needed where PostgreSQL would take a parameter for text.
	param:    func(n int, sqlType string) string { return "$" + strconv.Itoa(n) + "::" + sqlType },
	snapshot: sql.LevelRepeatableRead,
	bytewise: ` COLLATE "C"`,
	// A transaction-scoped advisory lock: several writers run at once.
	lockMobility: `SELECT pg_advisory_xact_lock($1, $2)`,
	lockTables: func(tables []string) string {
		return `LOCK TABLE ` + strings.Join(tables, ", ") + ` IN EXCLUSIVE MODE`
	},
	bulkTx: func(ctx context.Context, db *DB, fn func(*sql.Tx) error) error { return db.tx(ctx, fn) },
	// importMobilityTx copies the figures in (mobility_import_postgres.go).
	importMobilityTx: copyImportTx,
	tableExists: func(ctx context.Context, q xferQuerier, name string) (bool, error) {
		var reg sql.NullString
		err := q.QueryRowContext(ctx, `SELECT to_regclass($1)::text`, quoteIdent(name)).Scan(&reg)
		return reg.Valid, err
	},
	afterImport: postgresSequences,
	backup:      pgDumpAdvice,
	isUnique: func(err error) bool {
		var pe *pgconn.PgError
		return errors.As(err, &pe) && pe.Code == "23505"
	},
	refusedValue: func(err error) (refused, known bool) {
		var pe *pgconn.PgError
		if !errors.As(err, &pe) {
			return false, false
		}
		return strings.HasPrefix(pe.Code, "22") || strings.HasPrefix(pe.Code, "23"), true // data exception, integrity constraint
	},
}

// defaultConnectTimeout bounds a connection's making when the URL does not.
const defaultConnectTimeout = 5 * time.Second

func openPostgres(rawURL string) (*DB, error) {
	cfg, err := pgx.ParseConfig(rawURL)
	if err != nil {
		return nil, &partnerhub.Error{Code: partnerhub.EInvalid, Message: "error.db_url", Args: []any{redact(rawURL)}, Err: err}
	}
	// A server that drops packets instead of refusing would hold each
	// request for as long as the kernel tries: a request that needs the
	// database is answered "unavailable" within this, unless the URL says
	// otherwise (connect_timeout).
	if cfg.ConnectTimeout == 0 {
		cfg.ConnectTimeout = defaultConnectTimeout
	}
	pg := sql.OpenDB(reachConnector{stdlib.GetConnector(*cfg)})
	pg.SetMaxOpenConns(16)
	pg.SetMaxIdleConns(4)
	return &DB{read: pg, write: pg, dialect: postgresDialect, listenURL: rawURL}, nil
}

// postgresSequences moves the sequences of the tables with an id past the
// ids Import wrote.
func postgresSequences(ctx context.Context, tx *sql.Tx) error {
	for _, t := range dumpTables {
		if !t.identity() {
			continue
		}
		if _, err := tx.ExecContext(ctx, `SELECT setval(pg_get_serial_sequence($1, 'id'), max("id")) FROM `+quoteIdent(t.name),
			quoteIdent(t.name)); err != nil {
			return fmt.Errorf("import %s: sequence: %w", t.name, err)
		}
	}
	return nil
}

// pgDumpAdvice is the error Backup returns for PostgreSQL: it names the
// pg_dump command that backs up this database, its URL without password.
func pgDumpAdvice(ctx context.Context, db *DB, path string) error {
	connString, err := db.connString(ctx)
	if err != nil {
		return err
	}
	return partnerhub.Errorf(EUnsupported, "error.backup_postgres", pgDumpCommand(connString, path))
}

// PgDump returns the pg_dump command (program first) that writes a
// custom-format dump of this PostgreSQL database to path, the same command
// as a shell line to show, and the password to give pg_dump in PGPASSWORD
// ("" for none): a command line, which others on the machine can see,
// never holds it.
func (db *DB) PgDump(ctx context.Context, path string) (args []string, shown, password string, err error) {
	connString, err := db.connString(ctx)
	if err != nil {
		return nil, "", "", err
	}
	if u, err := url.Parse(connString); err == nil && u.User != nil {
		password, _ = u.User.Password()
	}
	return pgDumpArgs(connString, path), pgDumpCommand(connString, path), password, nil
}

// connString is the URL the PostgreSQL pool connects with.
func (db *DB) connString(ctx context.Context) (string, error) {
	conn, err := db.write.Conn(ctx)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	var connString string
	err = conn.Raw(func(dc any) error {
		if c, ok := dc.(*stdlib.Conn); ok {
			connString = c.Conn().Config().ConnString()
		}
		return nil
	})
	return connString, err
}

// libpqParams are the URL parameters pg_dump (libpq) understands; pgx
// takes others (search_path) that libpq would refuse.
var libpqParams = map[string]bool{
	"sslmode": true, "sslrootcert": true, "sslcert": true, "sslkey": true, "sslcrl": true, "sslpassword": false,
	"connect_timeout": true, "application_name": true, "options": true, "target_session_attrs": true,
	"service": true, "passfile": true, "channel_binding": true, "gssencmode": true, "krbsrvname": true,
	"host": true, "port": true, "dbname": true, "user": true, "hostaddr": true,
}

// pgDumpArgs is the pg_dump command for a database URL, with the password
// left out (pg_dump asks for it, or reads PGPASSWORD or ~/.pgpass).
func pgDumpArgs(connString, path string) []string {
	args := []string{"pg_dump", "--format=custom", "--file=" + path}
	u, err := url.Parse(connString)
	if err != nil || u.Scheme == "" {
		return append(args, "DATABASE_URL")
	}
	if u.User != nil {
		u.User = url.User(u.User.Username())
	}
	q := u.Query()
	for k, vs := range q {
		if k == "search_path" {
			for _, v := range vs {
				for _, s := range strings.Split(v, ",") {
					if s = strings.TrimSpace(s); s != "" && s != "public" && s != `"$user"` {
						args = append(args, "--schema="+s)
					}
				}
			}
		}
		if !libpqParams[k] {
			q.Del(k)
		}
	}
	u.RawQuery = q.Encode()
	return append(args, u.String())
}

// pgDumpCommand is pgDumpArgs as a line for a POSIX shell.
func pgDumpCommand(connString, path string) string {
	args := pgDumpArgs(connString, path)
	for i, a := range args[1:] {
		if k, v, ok := strings.Cut(a, "="); ok && strings.HasPrefix(k, "--") {
			args[i+1] = k + "=" + shellQuote(v)
		} else if a != "DATABASE_URL" {
			args[i+1] = shellQuote(a)
		}
	}
	return strings.Join(args, " ")
}

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./=:@,+", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
