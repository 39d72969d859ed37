package main

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"time"
)

// visibility measures how long after a write's answer on node A node B
// serves the change: n updates of one activity on A, each followed by
// polling B until its public API shows the new venue.
func visibility(args []string) error {
	fs := flag.NewFlagSet("visibility", flag.ExitOnError)
	a := fs.String("a", "http://127.0.0.1:8080", "the node written to")
	b := fs.String("b", "http://127.0.0.1:8081", "the node polled")
	token := fs.String("token", "", "a read-write API token")
	partner := fs.String("partner", "ntu", "partner of the activity written")
	run := fs.String("run", "vis", "prefix of the slug and values written")
	n := fs.Int("n", 100, "writes")
	poll := fs.Duration("poll", 2*time.Millisecond, "pause between two reads of B")
	limit := fs.Duration("limit", 10*time.Second, "how long B is polled for one write")
	bar := fs.Duration("bar", time.Second, "p99 must be below this")
	fs.Parse(args)
	c := newClient(2, nil)
	slug := *run + "-visibility"
	status, _, body, err := call(c, "POST", *a+"/api/v1/activities", *token, activity(slug, *partner, slug))
	if err != nil || status != http.StatusCreated {
		return setupError{fmt.Errorf("creating %s on A: %d %v %.300s", slug, status, err, body)}
	}
	r, _ := parseRecord(body)
	if err := waitServed(c, *b, slug, 1, 30*time.Second); err != nil {
		return setupError{err}
	}
	var delays []float64
	lost := 0
	for i := range *n {
		// A random pause, so that the writes fall anywhere in B's cycle.
		time.Sleep(time.Duration(rand.IntN(200)) * time.Millisecond)
		value := fmt.Sprintf("%s-%d", *run, i)
		patch := map[string]any{"version": r.Version, "venue": map[string]string{"ja": value, "en": value}}
		status, _, body, err := call(c, "PATCH", *a+"/api/v1/activities/"+slug, *token, patch, "Content-Type", "application/merge-patch+json")
		if err != nil || status != http.StatusOK {
			return setupError{fmt.Errorf("write %d on A: %d %v %.300s", i, status, err, body)}
		}
		answered := time.Now()
		r, _ = parseRecord(body)
		for {
			status, _, body, err := call(c, "GET", *b+"/api/v1/activities/"+slug, "", nil)
			if err == nil && status == http.StatusOK {
				if got, _ := parseRecord(body); got.Venue.En == value {
					delays = append(delays, float64(time.Since(answered).Microseconds())/1000)
					break
				}
			}
			if time.Since(answered) > *limit {
				lost++
				delays = append(delays, float64(limit.Milliseconds()))
				break
			}
			time.Sleep(*poll)
		}
	}
	slices.Sort(delays)
	p99 := percentile(delays, 99)
	fmt.Printf("visibility: %d writes on %s, each until %s served it: p50 %.1f ms  p99 %.1f ms  max %.1f ms; not seen within %v: %d\n",
		len(delays), *a, *b, percentile(delays, 50), p99, delays[len(delays)-1], *limit, lost)
	ok := p99 < float64(bar.Milliseconds())
	verdict := "PASS"
	if !ok {
		verdict = "FAIL"
	}
	fmt.Printf("  %s p99 below %v: %.1f ms\n", verdict, *bar, p99)
	if !ok {
		return errBar
	}
	return nil
}
