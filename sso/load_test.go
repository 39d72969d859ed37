package sso

import (
	"errors"
	"strings"
	"testing"
)

func TestReadConfig(t *testing.T) {
	c, err := ReadConfig(strings.NewReader(`{"saml": {}, "oidc": []}`))
	if err != nil || c.SAML == nil || c.OIDC == nil {
		t.Fatalf("%+v %v", c, err)
	}
	if c, err := ReadConfig(strings.NewReader(`{}`)); err != nil || c.SAML != nil || len(c.OIDC) != 0 {
		t.Fatalf("empty: %+v %v", c, err)
	}
	var unknown *UnknownFieldError
	if _, err := ReadConfig(strings.NewReader(`{"samll": {}}`)); !errors.As(err, &unknown) || unknown.Field != `"samll"` {
		t.Fatalf("misspelt field: %v", err)
	}
	for _, bad := range []string{`{"saml": `, `{} {}`, `[]`, strings.Repeat(" ", maxConfigBytes+1)} {
		if _, err := ReadConfig(strings.NewReader(bad)); err == nil {
			t.Errorf("%.20q read", bad)
		}
	}
}
