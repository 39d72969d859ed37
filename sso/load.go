package sso

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// maxConfigBytes bounds the configuration file: metadata and keys are
// referred to by path or URL, never inlined at length.
const maxConfigBytes = 1 << 20

// UnknownFieldError is a field of the configuration that no protocol
// reads: a misspelt setting, which would otherwise be silently ignored.
type UnknownFieldError struct{ Field string }

func (e *UnknownFieldError) Error() string { return "unknown field " + e.Field }

// ReadConfig reads single sign-on's configuration, one JSON object. An
// unknown field is an *UnknownFieldError; anything else wrong, an error
// saying where.
func ReadConfig(r io.Reader) (*Config, error) {
	b, err := io.ReadAll(io.LimitReader(r, maxConfigBytes+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxConfigBytes {
		return nil, fmt.Errorf("larger than %d bytes", maxConfigBytes)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	c := &Config{}
	if err := dec.Decode(c); err != nil {
		// encoding/json says `json: unknown field "x"` and has no type
		// for it.
		if f, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
			return nil, &UnknownFieldError{Field: f}
		}
		var syn *json.SyntaxError
		if errors.As(err, &syn) {
			return nil, fmt.Errorf("%w (at byte %d)", err, syn.Offset)
		}
		return nil, err
	}
	if dec.More() {
		return nil, errors.New("more than one JSON value")
	}
	return c, nil
}
