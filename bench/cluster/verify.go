package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"time"
)

// verify checks that every write a load's summary says was acknowledged
// is stored: each activity created exists with its title, and each update
// is in its record's history at the version its answer gave, with the
// venue it set. A write missing at first is looked at again until -wait
// has passed (a node serves another's writes after its reload interval).
func verify(args []string) error {
	fs := flag.NewFlagSet("verify", flag.ExitOnError)
	base := fs.String("url", "http://127.0.0.1:8080", "a node's (or the load balancer's) URL")
	token := fs.String("token", "", "an API token (the history needs one)")
	in := fs.String("in", "", "the JSON summary of cluster load")
	wait := fs.Duration("wait", 15*time.Second, "how long a missing write is looked for again")
	fs.Parse(args)
	b, err := os.ReadFile(*in)
	if err != nil {
		return setupError{err}
	}
	var s summary
	if err := json.Unmarshal(b, &s); err != nil {
		return setupError{err}
	}
	c := newClient(8, nil)
	var creates []ack
	updates := map[string][]ack{}
	for _, a := range s.Acked {
		if a.Kind == "create" {
			creates = append(creates, a)
		} else {
			updates[a.Key] = append(updates[a.Key], a)
		}
	}

	deadline := time.Now().Add(*wait)
	var missing []string
	for {
		missing = missing[:0]
		var mu sync.Mutex
		miss := func(format string, args ...any) {
			mu.Lock()
			defer mu.Unlock()
			missing = append(missing, fmt.Sprintf(format, args...))
		}
		// The creates, eight at a time.
		next := make(chan ack)
		var wg sync.WaitGroup
		for range 8 {
			wg.Go(func() {
				for a := range next {
					status, _, body, err := call(c, "GET", *base+"/api/v1/activities/"+a.Key, *token, nil)
					if err != nil || status != http.StatusOK {
						miss("created %s (at %s): GET %d %v", a.Key, time.UnixMilli(a.End).UTC().Format("15:04:05.000"), status, err)
						continue
					}
					if r, err := parseRecord(body); err != nil || r.Title.En != a.Value {
						miss("created %s: title %q, want %q", a.Key, r.Title.En, a.Value)
					}
				}
			})
		}
		for _, a := range creates {
			next <- a
		}
		close(next)
		wg.Wait()
		for key, acks := range updates {
			if err := verifyUpdates(c, *base, *token, key, acks, miss); err != nil {
				miss("history of %s: %v", key, err)
			}
		}
		if len(missing) == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(time.Second)
	}
	n := 0
	for _, a := range updates {
		n += len(a)
	}
	fmt.Printf("verify: %d acknowledged creates and %d updates looked up on %s: %d missing or wrong\n", len(creates), n, *base, len(missing))
	slices.Sort(missing)
	for i, m := range missing {
		if i == 20 {
			fmt.Printf("  … %d more\n", len(missing)-20)
			break
		}
		fmt.Println("  MISSING", m)
	}
	if len(missing) > 0 {
		return errBar
	}
	return nil
}

// verifyUpdates checks the acknowledged updates of one record against its
// history, and that the record is at least at the last version acknowledged.
func verifyUpdates(c *http.Client, base, token, key string, acks []ack, miss func(string, ...any)) error {
	type entry struct {
		Version int `json:"version"`
		After   struct {
			Venue struct {
				En string `json:"en"`
			} `json:"venue"`
		} `json:"after"`
	}
	venue := map[int]string{}
	u := base + "/api/v1/activities/" + key + "/history?limit=1000"
	for u != "" {
		status, _, body, err := call(c, "GET", u, token, nil)
		if err != nil || status != http.StatusOK {
			return fmt.Errorf("GET %d %v %.200s", status, err, body)
		}
		var page struct {
			Items []entry `json:"items"`
			Next  *string `json:"next"`
		}
		if err := json.Unmarshal(body, &page); err != nil {
			return err
		}
		for _, e := range page.Items {
			venue[e.Version] = e.After.Venue.En
		}
		u = ""
		if page.Next != nil {
			u = *page.Next
			if !strings.HasPrefix(u, "http") {
				u = base + u
			}
		}
	}
	last := 0
	for _, a := range acks {
		last = max(last, a.Version)
		if v, ok := venue[a.Version]; !ok || v != a.Value {
			miss("update of %s to version %d (%q): the history has %q", key, a.Version, a.Value, v)
		}
	}
	status, _, body, err := call(c, "GET", base+"/api/v1/activities/"+key, token, nil)
	if err != nil || status != http.StatusOK {
		return fmt.Errorf("GET %d %v", status, err)
	}
	if r, err := parseRecord(body); err != nil || r.Version < last {
		miss("%s is at version %d, below the last acknowledged %d", key, r.Version, last)
	}
	return nil
}
