package e2e_test

import (
	"testing"
	"time"

	"partnerhub/e2e"
	"partnerhub/store/storetest"
)

// importRows is the size of the file imported across nodes: large enough
// (47 MB) that the import is still reading when the second node has
// started and shown its progress.
const importRows = 1_000_000

// An import started on node A shows its progress on node B while A reads
// it; A is then killed with SIGKILL half way, and once A is started again
// the import ends with every figure stored exactly once.
func TestImportSurvivesKilledNode(t *testing.T) {
	skipShort(t)
	file, sum := e2e.MobilityCSV(t, importRows)
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		url := newDatabase(t, e)
		flags := []string{"-mfa-required", "admins"}
		a := e2e.Serve(t, "A", url, e2e.FreeAddr(t), flags...)
		c := e2e.NewClient(t)
		c.SignInAdmin(a.URL, adminEmail, adminPassword)
		start := time.Now()
		page := c.Upload(a.URL, "figures.csv", file)
		t.Logf("uploaded in %v", time.Since(start))

		// B starts once A has begun reading, so that A is the node that
		// runs the import: B's queue had no part in taking it.
		waitProgress(t, c, a, page, 1)
		b := e2e.Serve(t, "B", url, e2e.FreeAddr(t), flags...)
		onB := waitProgress(t, c, b, page, 2)
		a.Kill()
		t.Logf("B showed %d%% at %v; A killed", onB.Percent, time.Since(start))
		if onB.Finished {
			t.Fatalf("the import finished before A was killed; make the file larger")
		}
		// What B shows of an import no node runs stays where A left it.
		if p := c.ImportProgress(b.URL, page); p.Finished || p.Percent < onB.Percent {
			t.Fatalf("after A's kill B shows %d%%, finished %v; before, %d%%", p.Percent, p.Finished, onB.Percent)
		}
		a.Restart()
		deadline := time.Now().Add(10 * time.Minute)
		var p e2e.Progress
		for {
			p = c.ImportProgress(b.URL, page)
			if p.Finished {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("the import did not end within 10 minutes of A's restart; B shows %d%%", p.Percent)
			}
			time.Sleep(250 * time.Millisecond)
		}
		t.Logf("finished at %v", time.Since(start))
		if p.Added != importRows {
			t.Fatalf("the import's page on B says %d figures added, want %d:\n%s", p.Added, importRows, p.Body)
		}
		if n, s := e2e.ImportedFigures(t, url); n != importRows || s != sum {
			t.Fatalf("the database holds %d figures summing to %d; the file has %d summing to %d", n, s, importRows, sum)
		}
	})
}

// waitProgress waits until node n shows the import at path at least at
// percent, and not finished, and returns what it shows.
func waitProgress(t *testing.T, c *e2e.Client, n *e2e.Node, path string, percent int) e2e.Progress {
	t.Helper()
	deadline := time.Now().Add(5 * time.Minute)
	for {
		p := c.ImportProgress(n.URL, path)
		if p.Finished {
			t.Fatalf("the import finished before node %s showed %d%%; make the file larger:\n%s", n.Name, percent, p.Body)
		}
		if p.Percent >= percent {
			return p
		}
		if time.Now().After(deadline) {
			t.Fatalf("node %s shows %d%% after 5 minutes, want %d%%", n.Name, p.Percent, percent)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
