// Command writer is the write side of bench/http.sh's mixed case: while wrk
// reads a page, it makes authenticated API writes at a steady rate, as
// coordinators editing the programme would, and reports how many landed.
//
// The writes alternate between two kinds, both public:
//   - PATCH /api/v1/partners/{p}/teams/{phase}: the lead unit of a partner's
//     team in the current phase, which the partners page shows;
//   - PATCH /api/v1/activities/{slug}: an activity's venue, which the
//     partners page does not show.
//
// Each target's version is taken from the answer to the write before (or
// from a 409's "current", once, when the database was written before).
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"slices"
	"sync"
	"time"
)

// target is one record the writer changes in turn.
type target struct {
	mu      sync.Mutex // held by the write in flight
	path    string
	version int
	units   []string // a team's units, whose lead it rotates; nil: an activity
	n       int      // writes made to it
}

// patch is the merge patch of the target's next write.
func (t *target) patch() map[string]any {
	p := map[string]any{"version": t.version}
	if t.units != nil {
		p["lead"] = t.units[t.n%len(t.units)]
	} else {
		p["venue"] = map[string]string{"en": fmt.Sprintf("Room %d", t.n)}
	}
	return p
}

func main() {
	base := flag.String("url", "http://127.0.0.1:18080", "partnerhub's base URL")
	token := flag.String("token", "", "API token with the write scope (required)")
	rate := flag.Float64("rate", 10, "writes a second")
	duration := flag.Duration("duration", 10*time.Second, "how long to write")
	flag.Parse()
	if *token == "" {
		log.Fatal("writer: -token is required")
	}
	w := &writer{base: *base, token: *token, client: &http.Client{Timeout: 10 * time.Second}}
	targets, err := w.targets()
	if err != nil {
		log.Fatalf("writer: %v", err)
	}
	// A write starts on each tick, whether the ones before have answered
	// or not (a slow server must not slow the writes down), on the next
	// target that no write in flight holds.
	tick := time.NewTicker(time.Duration(float64(time.Second) / *rate))
	defer tick.Stop()
	end := time.Now().Add(*duration)
	var (
		mu                      sync.Mutex
		lat                     []time.Duration
		failed, conflicts, busy int
		wg                      sync.WaitGroup
	)
	start := time.Now()
	next := 0
	for time.Now().Before(end) {
		<-tick.C
		var t *target
		for range targets {
			c := targets[next%len(targets)]
			next++
			if c.mu.TryLock() {
				t = c
				break
			}
		}
		if t == nil {
			busy++ // every target has a write in flight
			continue
		}
		wg.Go(func() {
			defer t.mu.Unlock()
			t0 := time.Now()
			c, err := w.write(t)
			mu.Lock()
			defer mu.Unlock()
			lat = append(lat, time.Since(t0))
			conflicts += c
			if err != nil {
				failed++
				log.Printf("writer: %s: %v", t.path, err)
			}
		})
	}
	wg.Wait()
	secs := time.Since(start).Seconds()
	slices.Sort(lat)
	fmt.Printf("writes %d failed %d conflicts %d rate %.1f/s p50 %.2f ms p99 %.2f ms skipped %d\n",
		len(lat), failed, conflicts, float64(len(lat))/secs, ms(pct(lat, 50)), ms(pct(lat, 99)), busy)
	if failed > 0 || busy > 0 {
		os.Exit(1)
	}
}

type writer struct {
	base, token string
	client      *http.Client
}

// targets are the teams of the current phase with two units or more, and
// the published activities, interleaved.
func (w *writer) targets() ([]*target, error) {
	var partners struct {
		Items []struct {
			Slug  string `json:"slug"`
			Teams []struct {
				Phase int `json:"phase"`
				Units []struct {
					Code string `json:"code"`
				} `json:"units"`
			} `json:"teams"`
		} `json:"items"`
	}
	if err := w.get("/api/v1/partners", &partners); err != nil {
		return nil, err
	}
	var teams []*target
	teamed := map[string]bool{} // partners with a team now
	for _, p := range partners.Items {
		if len(p.Teams) == 0 {
			continue
		}
		last := p.Teams[len(p.Teams)-1]
		if len(last.Units) < 2 {
			continue
		}
		teamed[p.Slug] = true
		t := &target{path: fmt.Sprintf("/api/v1/partners/%s/teams/%d", p.Slug, last.Phase), version: 1}
		for _, u := range last.Units {
			t.units = append(t.units, u.Code)
		}
		teams = append(teams, t)
	}
	var acts struct {
		Items []struct {
			Slug     string   `json:"slug"`
			Partners []string `json:"partners"`
			Version  int      `json:"version"`
		} `json:"items"`
	}
	if err := w.get("/api/v1/activities", &acts); err != nil {
		return nil, err
	}
	// A coordinator changes only activities of partners with a team (the
	// others are the programme office's).
	var activities []*target
	for _, a := range acts.Items {
		if len(a.Partners) > 0 && !slices.ContainsFunc(a.Partners, func(p string) bool { return !teamed[p] }) {
			activities = append(activities, &target{path: "/api/v1/activities/" + a.Slug, version: a.Version})
		}
	}
	var out []*target
	for i := 0; i < len(teams) || i < len(activities); i++ {
		if i < len(teams) {
			out = append(out, teams[i])
		}
		if i < len(activities) {
			out = append(out, activities[i])
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("nothing to write: no teams and no activities")
	}
	return out, nil
}

func (w *writer) get(path string, v any) error {
	resp, err := w.client.Get(w.base + path)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", path, resp.Status)
	}
	return json.NewDecoder(resp.Body).Decode(v)
}

// write PATCHes t once; a 409 (someone wrote it before) takes the current
// version and tries once more. It returns the conflicts met.
func (w *writer) write(t *target) (int, error) {
	for try := 0; ; try++ {
		status, b, err := w.patch(t)
		if err != nil {
			return try, err
		}
		var answer struct {
			Version int `json:"version"`
			Error   struct {
				Current struct {
					Version int `json:"version"`
				} `json:"current"`
			} `json:"error"`
		}
		_ = json.Unmarshal(b, &answer)
		switch {
		case status == http.StatusOK && answer.Version > 0:
			t.version = answer.Version
			t.n++
			return try, nil
		case status == http.StatusConflict && try == 0 && answer.Error.Current.Version > 0:
			t.version = answer.Error.Current.Version
		default:
			return try, fmt.Errorf("status %d: %.200s", status, b)
		}
	}
}

func (w *writer) patch(t *target) (int, []byte, error) {
	body, err := json.Marshal(t.patch())
	if err != nil {
		return 0, nil, err
	}
	req, err := http.NewRequest(http.MethodPatch, w.base+t.path, bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Authorization", "Bearer "+w.token)
	req.Header.Set("Content-Type", "application/merge-patch+json")
	resp, err := w.client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}

// pct is the p-th percentile of sorted (nearest rank).
func pct(sorted []time.Duration, p int) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := (len(sorted)*p + 99) / 100
	return sorted[max(i, 1)-1]
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
