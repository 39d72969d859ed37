package store

// Export: the whole database as one JSON document.

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"partnerhub"
)

// Export writes the whole database to w as one JSON document: a header
// (format, format version, schema version) and every table in foreign-key
// order, rows ordered by primary key, columns in a fixed order, values in a
// form that does not depend on the engine. It reads in one read-only
// transaction (REPEATABLE READ in PostgreSQL; a WAL snapshot in SQLite), so
// the document is a consistent snapshot even while others write.
func (db *DB) Export(ctx context.Context, w io.Writer) error {
	tx, err := db.read.BeginTx(ctx, &sql.TxOptions{ReadOnly: true, Isolation: db.dialect.snapshot})
	if err != nil {
		return err
	}
	defer tx.Rollback()
	version, err := db.checkSchema(ctx, tx, "error.export_schema")
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	fmt.Fprintf(bw, "{\n  \"format\": %q,\n  \"format_version\": %d,\n  \"schema_version\": %d,\n  \"tables\": {",
		ExportFormat, ExportFormatVersion, version)
	for i := range dumpTables {
		t := &dumpTables[i]
		if i > 0 {
			bw.WriteByte(',')
		}
		bw.WriteString("\n    \"" + t.name + "\": [")
		n, err := db.exportTable(ctx, tx, bw, t)
		if err != nil {
			return err
		}
		if n > 0 {
			bw.WriteString("\n    ")
		}
		bw.WriteByte(']')
	}
	bw.WriteString("\n  }\n}\n")
	if err := bw.Flush(); err != nil {
		return err
	}
	return tx.Commit()
}

func (db *DB) exportTable(ctx context.Context, tx *sql.Tx, w *bufio.Writer, t *dumpTable) (int, error) {
	rows, err := tx.QueryContext(ctx, t.selectSQL(db.dialect))
	if err != nil {
		return 0, fmt.Errorf("export %s: %w", t.name, err)
	}
	defer rows.Close()
	vals := make([]any, len(t.cols))
	ptrs := make([]any, len(t.cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	buf := make([]byte, 0, 4096)
	n := 0
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return n, fmt.Errorf("export %s: %w", t.name, err)
		}
		buf = buf[:0]
		if n > 0 {
			buf = append(buf, ',')
		}
		buf = append(buf, "\n      {"...)
		for j, c := range t.cols {
			if j > 0 {
				buf = append(buf, ',')
			}
			buf = appendJSONString(buf, c.name)
			buf = append(buf, ':')
			if buf, err = appendDumpValue(buf, c, vals[j]); err != nil {
				return n, &partnerhub.Error{Code: partnerhub.EInternal, Message: "error.export_bad_value",
					Args: []any{t.name, rowKey(t, vals), c.name}, Err: err}
			}
		}
		buf = append(buf, '}')
		if _, err := w.Write(buf); err != nil {
			return n, err
		}
		n++
	}
	return n, rows.Err()
}

// rowKey names a row by its primary key, for messages.
func rowKey(t *dumpTable, vals []any) string {
	parts := make([]string, len(t.pk))
	for i, k := range t.pk {
		parts[i] = fmt.Sprintf("%s=%v", k, vals[t.colIndex(k)])
	}
	return strings.Join(parts, ", ")
}

// dumpTimeLayout writes every time in UTC with nine fractional digits, so
// that times also sort as text.
const dumpTimeLayout = "2006-01-02T15:04:05.000000000Z07:00"

// appendDumpValue writes one value in its engine-independent form. A value
// that cannot be written exactly is an error, never a silent change.
func appendDumpValue(b []byte, c dumpColumn, v any) ([]byte, error) {
	if v == nil {
		return append(b, "null"...), nil
	}
	switch c.typ {
	case dumpInt:
		switch x := v.(type) {
		case int64:
			return strconv.AppendInt(b, x, 10), nil
		case int32:
			return strconv.AppendInt(b, int64(x), 10), nil
		case int:
			return strconv.AppendInt(b, int64(x), 10), nil
		}
	case dumpReal:
		var f float64
		switch x := v.(type) {
		case float64:
			f = x
		case float32:
			f = float64(x)
		case int64:
			f = float64(x)
		default:
			return b, fmt.Errorf("%T is not a number", v)
		}
		return appendJSONFloat(b, f)
	case dumpText:
		switch x := v.(type) {
		case string:
			if !utf8.ValidString(x) {
				return b, errors.New("text that is not UTF-8")
			}
			return appendJSONString(b, x), nil
		case []byte:
			if !utf8.Valid(x) {
				return b, errors.New("bytes that are not UTF-8 text")
			}
			return appendJSONString(b, string(x)), nil
		}
	case dumpBool:
		switch x := v.(type) {
		case bool:
			return strconv.AppendBool(b, x), nil
		case int64:
			if x == 0 || x == 1 {
				return strconv.AppendBool(b, x == 1), nil
			}
		}
	case dumpBytes:
		switch x := v.(type) {
		case []byte:
			b = append(b, '"')
			b = base64.StdEncoding.AppendEncode(b, x)
			return append(b, '"'), nil
		case string: // a driver that reads a BLOB as text
			b = append(b, '"')
			b = base64.StdEncoding.AppendEncode(b, []byte(x))
			return append(b, '"'), nil
		}
	case dumpTime:
		switch x := v.(type) {
		case time.Time:
			return appendJSONString(b, x.UTC().Format(dumpTimeLayout)), nil
		case string:
			for _, layout := range []string{time.RFC3339Nano, "2006-01-02 15:04:05.999999999-07:00", "2006-01-02 15:04:05.999999999"} {
				if t, err := time.Parse(layout, x); err == nil {
					return appendJSONString(b, t.UTC().Format(dumpTimeLayout)), nil
				}
			}
		}
	}
	return b, fmt.Errorf("%T %v is not a %s", v, v, c.typ)
}

func (t dumpType) String() string {
	switch t {
	case dumpInt:
		return "integer"
	case dumpReal:
		return "real"
	case dumpText:
		return "text"
	case dumpBool:
		return "boolean"
	case dumpTime:
		return "timestamp"
	case dumpBytes:
		return "bytes"
	}
	return "?"
}

// appendJSONFloat writes a float as encoding/json does: the shortest form
// that reads back as the same float.
func appendJSONFloat(b []byte, f float64) ([]byte, error) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return b, fmt.Errorf("%v is not a JSON number", f)
	}
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	start := len(b)
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' { // 1e-07, not 1e-007; 1e+21 as is
		n := len(b) - start
		if n >= 4 && b[len(b)-4] == 'e' && b[len(b)-3] == '-' && b[len(b)-2] == '0' {
			b[len(b)-2] = b[len(b)-1]
			b = b[:len(b)-1]
		}
	}
	return b, nil
}

// appendJSONString quotes valid UTF-8 text as a JSON string, escaping only
// what JSON requires (so Japanese stays readable).
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c == '\n':
			b = append(b, '\\', 'n')
		case c == '\r':
			b = append(b, '\\', 'r')
		case c == '\t':
			b = append(b, '\\', 't')
		case c < 0x20:
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		default:
			b = append(b, c)
		}
	}
	return append(b, '"')
}
