package web

import (
	"os"
	"testing"
)

// TestMain stops the Chromium the browser tests share (browser_test.go)
// when the tests are done.
func TestMain(m *testing.M) {
	code := m.Run()
	sharedChromium.close()
	os.Exit(code)
}
