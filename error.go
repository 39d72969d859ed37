package partnerhub

import (
	"errors"
	"fmt"
	"maps"
	"slices"
)

// Error codes: each maps to one HTTP status in one place (web).
const (
	ENotFound = "not_found"
	EInvalid  = "invalid"
	EConflict = "conflict"
	EInternal = "internal"
	// EUnavailable: a service the application needs (the database) does not answer.
	EUnavailable = "unavailable"
	// ETooMany: too many attempts (sign-in throttling).
	ETooMany = "too_many"
	// EGone: a link that once worked and no longer does (an invitation
	// expired, used or revoked).
	EGone = "gone"
)

// Error is the application's error. Message is a key of the i18n catalogs
// (never prose), so every layer can report it and the web layer renders it in
// the reader's language.
type Error struct {
	Code    string
	Message string // i18n key, e.g. "error.partner_not_found"
	Args    []any
	Fields  FieldErrors
	Current any   // for a conflict: the record as it is now
	Err     error // the cause, for logs only
}

func (e *Error) Error() string {
	s := e.Code + ": " + e.Message
	if len(e.Args) > 0 {
		s += fmt.Sprint(e.Args)
	}
	for _, f := range slices.Sorted(maps.Keys(e.Fields)) {
		s += fmt.Sprintf("; %s: %s%v", f, e.Fields[f].Key, e.Fields[f].Args)
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf builds an Error with an i18n message key and its arguments.
func Errorf(code, key string, args ...any) *Error {
	return &Error{Code: code, Message: key, Args: args}
}

// ErrorCode returns the code of err, EInternal for errors that are not ours.
func ErrorCode(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	if err == nil {
		return ""
	}
	return EInternal
}

// FieldError is one field's problem: an i18n key under "field." and args.
type FieldError struct {
	Key  string
	Args []any
}

// FieldErrors maps a field path ("name.ja", "members[2]") to its problem.
type FieldErrors map[string]FieldError

// Add records the first problem of a field; later ones for it are dropped so
// the user sees one clear message per field.
func (f FieldErrors) Add(field, key string, args ...any) {
	if _, ok := f[field]; !ok {
		f[field] = FieldError{Key: key, Args: args}
	}
}

// Err returns an EInvalid error holding the fields, or nil when there are none.
func (f FieldErrors) Err() error {
	if len(f) == 0 {
		return nil
	}
	return &Error{Code: EInvalid, Message: "error.invalid", Fields: f}
}
