package e2e_test

import (
	"context"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"partnerhub/e2e"
	"partnerhub/store"
	"partnerhub/store/storetest"
)

// partnerhub import mobility killed with SIGKILL at random moments stores
// either the whole file or none of it, and the rollups stay the sums of
// the figures. bench/cluster.sh does the same ten times an engine on a
// larger file.
func TestImportKilledStoresAllOrNothing(t *testing.T) {
	skipShort(t)
	const rows = 200_000
	file, sum := e2e.MobilityCSV(t, rows)
	path := filepath.Join(t.TempDir(), "figures.csv")
	if err := os.WriteFile(path, file, 0o644); err != nil {
		t.Fatal(err)
	}
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		url := newDatabase(t, e)
		for i := range 3 {
			cmd := exec.Command(e2e.Binary(t), "import", "mobility", "-q", "-db", url, path)
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			// Anywhere from the file's first rows to (on SQLite) past the
			// end: the outcome checked is the same either way.
			at := time.Duration(20+rand.IntN(1000)) * time.Millisecond
			time.Sleep(at)
			cmd.Process.Signal(syscall.SIGKILL)
			err := cmd.Wait()
			n, s := e2e.ImportedFigures(t, url)
			t.Logf("kill %d after %v: %v; %d figures stored", i+1, at, err, n)
			if (n != 0 || s != 0) && (n != rows || s != sum) {
				t.Fatalf("after a kill the database holds %d figures of the file summing to %d; want none, or all %d summing to %d", n, s, rows, sum)
			}
			checkRollups(t, url)
			if n == rows {
				break // the import ended before the kill: nothing more to kill
			}
		}
	})
}

// checkRollups fails the test when a rollup differs from the sums of the
// figures.
func checkRollups(t *testing.T, url string) {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	problems, err := db.CheckMobilityRollups(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(problems) > 0 {
		t.Fatalf("the rollups are not the sums of the figures: %d differences, e.g. %s", len(problems), problems[0])
	}
}
