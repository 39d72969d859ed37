package storetest

import (
	"strings"
	"testing"
)

// The PostgreSQL tests are never silently absent: off says so, a URL set on
// purpose is used as it is, and with nothing set the local default is tried.
func TestFindPostgres(t *testing.T) {
	t.Setenv(EnvPostgres, "off")
	if base, why := findPostgres(false); base != "" || !strings.Contains(why, EnvPostgres+"=off") {
		t.Fatalf("off: %q, %q", base, why)
	}
	t.Setenv(EnvPostgres, "postgres://u@db.example:5432/x?sslmode=disable")
	if base, why := findPostgres(false); base != "postgres://u@db.example:5432/x?sslmode=disable" || why != "" {
		t.Fatalf("set: %q, %q", base, why)
	}
	if base, why := findPostgres(true); base != "" || !strings.Contains(why, "-short") {
		t.Fatalf("short: %q, %q", base, why)
	}
	t.Setenv(EnvPostgres, "")
	base, why := findPostgres(false)
	if base != DefaultPostgres && !strings.Contains(why, "set "+EnvPostgres) {
		t.Fatalf("unset: %q, %q: neither the default URL nor how to enable it", base, why)
	}
}

// Run gives every test a postgres subtest, which skips when PostgreSQL is
// not there: CI greps for "--- SKIP: …/postgres".
func TestRunHasBothEngines(t *testing.T) {
	var names []string
	for _, e := range Engines() {
		names = append(names, e.Name)
	}
	if strings.Join(names, ",") != "sqlite,postgres" {
		t.Fatalf("engines %v", names)
	}
}
