package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// -sso-config (or PARTNERHUB_SSO_CONFIG) names single sign-on's file: read
// into the configuration, or serve stops with one line naming the flag,
// the file and what is wrong, in the reader's language.
func TestSSOConfigFile(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := write("sso.json", `{"oidc": []}`)
	cfg, err := buildConfig(t, env())
	if err != nil || cfg.SSO != nil {
		t.Fatalf("without the flag: %+v %v", cfg.SSO, err)
	}
	cfg, err = buildConfig(t, env(), "-sso-config", good)
	if err != nil || cfg.SSO == nil {
		t.Fatalf("the flag: %+v %v", cfg.SSO, err)
	}
	cfg, err = buildConfig(t, env("PARTNERHUB_SSO_CONFIG", good))
	if err != nil || cfg.SSO == nil {
		t.Fatalf("the variable: %+v %v", cfg.SSO, err)
	}
	misspelt := write("misspelt.json", `{"oicd": []}`)
	for _, c := range []struct {
		env  []string
		args []string
		want []string
	}{
		{nil, []string{"-sso-config", misspelt}, []string{"-sso-config", misspelt, `unknown field "oicd"`, "README"}},
		{[]string{"PARTNERHUB_SSO_CONFIG", misspelt, "LANG", "ja_JP.UTF-8"}, nil, []string{"PARTNERHUB_SSO_CONFIG", `不明な項目 "oicd"`}},
		{nil, []string{"-sso-config", write("broken.json", `{"saml": `)}, []string{"not single sign-on's configuration"}},
		{nil, []string{"-sso-config", filepath.Join(dir, "missing.json")}, []string{"missing.json: cannot be read"}},
	} {
		_, err := buildConfig(t, env(c.env...), c.args...)
		if err == nil {
			t.Errorf("%v %v: no error", c.env, c.args)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%v %v: %q lacks %q", c.env, c.args, err, w)
			}
		}
	}
}
