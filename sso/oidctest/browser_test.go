package oidctest

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// The test binary's one Chromium, as web's browser tests run theirs: each
// test gets a tab in a browser context of its own (its own cookies).

// chromiumPath is the Chromium to run, or skips the test: under -short,
// or when the machine has none.
func chromiumPath(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("go test -short leaves out the browser tests; run without -short for them")
	}
	if path := os.Getenv("PARTNERHUB_CHROMIUM"); path != "" {
		return path
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Skip("no Chromium: install Debian's chromium to run the browser tests")
	return ""
}

type chromium struct {
	once sync.Once
	dir  string
	ctx  context.Context
	stop func()
	err  error
}

func (c *chromium) start(path string) (context.Context, error) {
	c.once.Do(func() {
		if c.dir, c.err = os.MkdirTemp("", "partnerhub-chromium-"); c.err != nil {
			return
		}
		opts := append(chromedp.DefaultExecAllocatorOptions[:],
			chromedp.ExecPath(path), chromedp.NoSandbox, chromedp.DisableGPU,
			chromedp.Flag("disable-background-networking", true),
			chromedp.Flag("disable-component-update", true),
			chromedp.Flag("disable-sync", true),
			chromedp.UserDataDir(c.dir),
		)
		actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
		ctx, cancel := chromedp.NewContext(actx)
		c.ctx, c.stop = ctx, func() { cancel(); cancelAlloc() }
		c.err = chromedp.Do(ctx)
	})
	return c.ctx, c.err
}

func (c *chromium) close() {
	c.once.Do(func() {})
	if c.stop != nil {
		c.stop()
	}
	if c.dir != "" {
		os.RemoveAll(c.dir)
	}
}

// browser is a tab of the shared Chromium in a fresh browser context.
func browser(t *testing.T, path string) context.Context {
	t.Helper()
	bctx, err := browsers.start(path)
	if err != nil {
		t.Fatalf("start Chromium: %v", err)
	}
	ctx, cancel := chromedp.NewContext(bctx, chromedp.WithNewBrowserContext())
	// A guard against a hang, not a measure.
	ctx, cancelTimeout := context.WithTimeout(ctx, 2*time.Minute)
	t.Cleanup(func() { cancelTimeout(); cancel() })
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("open a tab in Chromium: %v", err)
	}
	return ctx
}

// do runs browser steps, failing the test on error; a step that met a
// node the page had just replaced runs once more.
func do(t *testing.T, ctx context.Context, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	err := chromedp.Do(ctx, steps...)
	if err != nil && strings.Contains(err.Error(), "No node with given id found") {
		time.Sleep(200 * time.Millisecond)
		err = chromedp.Do(ctx, steps...)
	}
	if err != nil {
		t.Fatal(err)
	}
}

func get[T any](t *testing.T, ctx context.Context, a chromedp.Action[T]) T {
	t.Helper()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	return v
}
