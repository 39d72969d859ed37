package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"maps"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// outcome is one request of the load as the client saw it.
type outcome struct {
	Op         string `json:"op"` // read, read-for-update, create, update
	Method     string `json:"method"`
	Path       string `json:"path"`
	Target     string `json:"target"`
	Status     int    `json:"status,omitempty"`
	Err        string `json:"error,omitempty"` // a transport error, by kind: refused, reset, eof, timeout, other
	Start      int64  `json:"start_ms"`
	End        int64  `json:"end_ms"`
	RetryAfter bool   `json:"retry_after,omitempty"`
	// FromLB: an error answered by the load balancer, not a node (every
	// answer of partnerhub has an X-Request-Id).
	FromLB bool `json:"from_lb,omitempty"`
}

// expected reports whether the answer is a right one: the record, or for
// an update a refusal because another user changed the record meanwhile.
func (o outcome) expected() bool {
	switch o.Op {
	case "create":
		return o.Status == http.StatusCreated
	case "update":
		return o.Status == http.StatusOK || o.conflict()
	}
	return o.Status == http.StatusOK
}

func (o outcome) conflict() bool {
	return o.Op == "update" && (o.Status == http.StatusConflict || o.Status == http.StatusPreconditionFailed)
}

// ack is a write the server acknowledged (2xx), with what it wrote: the
// activity created (its English title is its slug) or the English venue
// an update set, at the version the answer gave.
type ack struct {
	Kind    string `json:"kind"` // create, update
	Key     string `json:"key"`
	Value   string `json:"value"`
	Version int    `json:"version"`
	User    int    `json:"user"` // index of the token
	Start   int64  `json:"start_ms"`
	End     int64  `json:"end_ms"`
	// Body is set when the answer's body is not what was written at the
	// ETag's version (another write landed in between).
	Body string `json:"body,omitempty"`
}

type loadConfig struct {
	targets  []string
	tokens   []string
	duration time.Duration
	conns    int
	writes   float64 // share of operations that write
	updates  float64 // share of writes that update a shared record (the rest create)
	hot      int     // shared records the updates go to
	partner  string
	run      string
}

// worker is one connection's loop; it keeps its own outcomes.
type worker struct {
	id       int
	cfg      *loadConfig
	c        *http.Client
	target   string
	token    string
	reads    []string
	hot      []string
	rnd      *rand.Rand
	n        int
	outcomes []outcome
	acks     []ack
}

func load(args []string) error {
	fs := flag.NewFlagSet("load", flag.ExitOnError)
	targets := fs.String("targets", "http://127.0.0.1:8080", "comma-separated base URLs; connection i uses target i mod n")
	tokenFile := fs.String("tokens", "", "file of read-write API tokens, one a line (one user each); writes rotate over them")
	cfg := &loadConfig{}
	fs.DurationVar(&cfg.duration, "duration", 60*time.Second, "how long the load runs")
	fs.IntVar(&cfg.conns, "conns", 64, "connections (one request at a time each)")
	fs.Float64Var(&cfg.writes, "writes", 0.10, "share of operations that are API writes")
	fs.Float64Var(&cfg.updates, "updates", 0.5, "share of writes that update a shared record with its version (conflicts expected)")
	fs.IntVar(&cfg.hot, "hot", 4, "shared records the updates go to")
	fs.StringVar(&cfg.partner, "partner", "ntu", "partner of the activities written (the users' units must take part in its team)")
	fs.StringVar(&cfg.run, "run", "cl", "prefix of the slugs and values written (unique per run)")
	scenario := fs.String("scenario", "plain", "plain, kill (a node killed: events 'kill MS') or dbrestart (events 'db-stop MS', 'db-up MS')")
	eventFile := fs.String("events", "", "file of events written during the load by the script: NAME UNIX_MS, one a line")
	recovery := fs.Duration("recovery", 5*time.Second, "dbrestart: time after db-up by which service must be full")
	after := fs.Duration("after", 0, "with -events: go on until the script writes 'fault-done MS', and this long after it")
	out := fs.String("out", "", "write the JSON summary here")
	fs.Parse(args)
	cfg.targets = strings.Split(*targets, ",")
	if *tokenFile == "" {
		return setupError{errors.New("-tokens is required")}
	}
	var err error
	if cfg.tokens, err = readLines(*tokenFile); err != nil || len(cfg.tokens) == 0 {
		return setupError{fmt.Errorf("tokens: %v (none read)", err)}
	}

	c := newClient(cfg.conns, nil)
	reads, err := readPaths(c, cfg.targets[0], cfg.partner)
	if err != nil {
		return setupError{err}
	}
	var hot []string
	for i := range cfg.hot {
		slug := fmt.Sprintf("%s-hot-%d", cfg.run, i)
		status, _, body, err := call(c, "POST", cfg.targets[0]+"/api/v1/activities", cfg.tokens[0], activity(slug, cfg.partner, slug))
		if err != nil || status != http.StatusCreated {
			return setupError{fmt.Errorf("creating %s: %d %v %.300s", slug, status, err, body)}
		}
		hot = append(hot, slug)
	}
	// Every node serves the shared records before the load starts (a
	// target may be a load balancer: each is asked until it has answered
	// 200 ten times in a row), so that a node's reload interval does not
	// show as a 404.
	for _, t := range cfg.targets {
		for _, h := range hot {
			if err := waitServed(c, t, h, 10, 30*time.Second); err != nil {
				return setupError{err}
			}
		}
	}

	start := time.Now()
	deadline := start.Add(cfg.duration)
	if *eventFile != "" {
		// The script times its fault from here, not from the setup above.
		f, err := os.OpenFile(*eventFile, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
		if err != nil {
			return setupError{err}
		}
		fmt.Fprintf(f, "load-start %d\n", ms(start))
		f.Close()
	}
	workers := make([]*worker, cfg.conns)
	var stop atomic.Bool
	var wg sync.WaitGroup
	for i := range workers {
		w := &worker{id: i, cfg: cfg, c: c, target: cfg.targets[i%len(cfg.targets)], token: cfg.tokens[i%len(cfg.tokens)],
			reads: reads, hot: hot, rnd: rand.New(rand.NewPCG(uint64(i), uint64(start.UnixNano())))}
		workers[i] = w
		wg.Go(func() {
			for !stop.Load() {
				w.step()
			}
		})
	}
	time.Sleep(time.Until(deadline))
	if *after > 0 {
		// The fault may take longer than the load (a slow restart): the
		// load goes on until the script says it is over, and then -after.
		limit := time.Now().Add(5 * time.Minute)
		for time.Now().Before(limit) {
			if done, ok := readEvents(*eventFile)["fault-done"]; ok {
				time.Sleep(time.Until(time.UnixMilli(done).Add(*after)))
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	stop.Store(true)
	wg.Wait()
	elapsed := time.Since(start)

	events := readEvents(*eventFile)
	var all []outcome
	var acks []ack
	for _, w := range workers {
		all = append(all, w.outcomes...)
		acks = append(acks, w.acks...)
	}
	s := summarize(cfg, *scenario, events, *recovery, all, acks, elapsed)
	s.print(os.Stdout)
	if *out != "" {
		b, err := json.MarshalIndent(s, "", " ")
		if err != nil {
			return err
		}
		if err := os.WriteFile(*out, b, 0o644); err != nil {
			return err
		}
	}
	for _, b := range s.Bars {
		if !b.Pass {
			return errBar
		}
	}
	return nil
}

// readEvents reads the events the script wrote: NAME UNIX_MS a line.
func readEvents(name string) map[string]int64 {
	events := map[string]int64{}
	if name == "" {
		return events
	}
	lines, _ := readLines(name)
	for _, l := range lines {
		k, v, _ := strings.Cut(strings.TrimSpace(l), " ")
		if n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64); err == nil {
			events[k] = n
		}
	}
	return events
}

// readPaths lists the pages and API reads of the mix, in both languages,
// with records that exist.
func readPaths(c *http.Client, base, partner string) ([]string, error) {
	slugs := func(path string, n int) ([]string, error) {
		status, _, body, err := call(c, "GET", base+path, "", nil)
		if err != nil || status != http.StatusOK {
			return nil, fmt.Errorf("GET %s: %d %v", path, status, err)
		}
		var list struct{ Items []struct{ Slug string } }
		if err := json.Unmarshal(body, &list); err != nil {
			return nil, fmt.Errorf("GET %s: %v", path, err)
		}
		var out []string
		for _, it := range list.Items[:min(n, len(list.Items))] {
			out = append(out, it.Slug)
		}
		if len(out) == 0 {
			return nil, fmt.Errorf("GET %s: no records", path)
		}
		return out, nil
	}
	partners, err := slugs("/api/v1/partners?limit=1000", 20)
	if err != nil {
		return nil, err
	}
	activities, err := slugs("/api/v1/activities?limit=1000", 20)
	if err != nil {
		return nil, err
	}
	var paths []string
	for _, l := range []string{"en", "ja"} {
		paths = append(paths, "/"+l+"/", "/"+l+"/partners", "/"+l+"/activities", "/"+l+"/units")
		for _, p := range partners {
			paths = append(paths, "/"+l+"/partners/"+p)
		}
		for _, a := range activities {
			paths = append(paths, "/"+l+"/activities/"+a)
		}
	}
	pages := len(paths)
	api := []string{"/api/v1/partners", "/api/v1/units", "/api/v1/phases", "/api/v1/activities?partner=" + partner}
	for _, p := range partners {
		api = append(api, "/api/v1/partners/"+p)
	}
	for _, a := range activities {
		api = append(api, "/api/v1/activities/"+a)
	}
	// As many API reads as page reads.
	for len(paths) < 2*pages {
		paths = append(paths, api...)
	}
	return paths, nil
}

// waitServed waits until base has served the activity times times in a row.
func waitServed(c *http.Client, base, slug string, times int, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	n := 0
	for {
		status, _, _, err := call(c, "GET", base+"/api/v1/activities/"+slug, "", nil)
		if err == nil && status == http.StatusOK {
			if n++; n == times {
				return nil
			}
			continue
		}
		n = 0
		if time.Now().After(deadline) {
			return fmt.Errorf("%s does not serve %s after %v: %d %v", base, slug, limit, status, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// step is one operation: a read, or a write by this worker's user.
func (w *worker) step() {
	if w.rnd.Float64() >= w.cfg.writes {
		w.do("read", "GET", w.reads[w.rnd.IntN(len(w.reads))], "", nil)
		return
	}
	w.n++
	value := fmt.Sprintf("%s-%d-%d", w.cfg.run, w.id, w.n)
	user := w.id % len(w.cfg.tokens)
	if w.rnd.Float64() >= w.cfg.updates {
		o, body := w.do("create", "POST", "/api/v1/activities", "", activity(value, w.cfg.partner, value))
		if o.Status == http.StatusCreated {
			r, _ := parseRecord(body)
			w.acks = append(w.acks, ack{Kind: "create", Key: value, Value: value, Version: r.Version, User: user, Start: o.Start, End: o.End})
		}
		return
	}
	// An update of a shared record at the version just read: another user
	// may write it in between, and then the right answer is 409 (or 412).
	key := w.hot[w.rnd.IntN(len(w.hot))]
	o, body := w.do("read-for-update", "GET", "/api/v1/activities/"+key, "", nil)
	if o.Status != http.StatusOK {
		return
	}
	r, err := parseRecord(body)
	if err != nil {
		return
	}
	etag := o.etag
	patch := map[string]any{"version": r.Version, "venue": map[string]string{"ja": value, "en": value}}
	o, body = w.do("update", "PATCH", "/api/v1/activities/"+key, etag, patch)
	if o.Status == http.StatusOK {
		// The version written is the ETag's: the body is the record as read
		// after the write, which may already hold a later one.
		v, _ := strconv.Atoi(strings.Trim(o.etag, `"v`))
		a := ack{Kind: "update", Key: key, Value: value, Version: v, User: user, Start: o.Start, End: o.End}
		if r, _ := parseRecord(body); r.Version != v || r.Venue.En != value {
			a.Body = fmt.Sprintf("version %d, venue %q", r.Version, r.Venue.En)
		}
		w.acks = append(w.acks, a)
	}
}

// timedOutcome is an outcome with the ETag of its answer, which is not
// kept in the summary.
type timedOutcome struct {
	outcome
	etag string
}

// do sends one request with the worker's token and records its outcome.
func (w *worker) do(op, method, path, ifMatch string, body any) (timedOutcome, []byte) {
	var header []string
	if method == "PATCH" {
		header = append(header, "Content-Type", "application/merge-patch+json")
		if ifMatch != "" {
			header = append(header, "If-Match", ifMatch)
		}
	}
	token := w.token
	if op == "read" {
		token = "" // the public's reads
	}
	start := time.Now()
	status, h, b, err := call(w.c, method, w.target+path, token, body, header...)
	o := outcome{Op: op, Method: method, Path: path, Target: w.target, Status: status, Start: ms(start), End: ms(time.Now())}
	if err != nil {
		o.Err = errorKind(err) + ": " + err.Error()
		o.Status = 0
	}
	if h != nil {
		o.RetryAfter = h.Get("Retry-After") != ""
		o.FromLB = status >= 500 && h.Get("X-Request-Id") == ""
	}
	w.outcomes = append(w.outcomes, o)
	t := timedOutcome{outcome: o}
	if h != nil {
		t.etag = h.Get("ETag")
	}
	return t, b
}

// errorKind names a transport error the way an operator reads a log.
func errorKind(err error) string {
	var ne net.Error
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return "refused"
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		return "reset"
	case errors.As(err, &ne) && ne.Timeout():
		return "timeout"
	case strings.Contains(err.Error(), "EOF"):
		return "eof"
	}
	return "other"
}

// latency is p50, p99 and max of a set of requests, in milliseconds.
type latency struct {
	N   int     `json:"n"`
	P50 float64 `json:"p50_ms"`
	P99 float64 `json:"p99_ms"`
	Max float64 `json:"max_ms"`
}

type bar struct {
	Name  string `json:"name"`
	Value string `json:"value"`
	Pass  bool   `json:"pass"`
}

type summary struct {
	Scenario  string             `json:"scenario"`
	Targets   []string           `json:"targets"`
	Seconds   float64            `json:"seconds"`
	Conns     int                `json:"conns"`
	Requests  int                `json:"requests"`
	RPS       float64            `json:"rps"`
	ByStatus  map[string]int     `json:"by_status"` // "op status" or "op error-kind"
	Latency   map[string]latency `json:"latency"`   // read, write
	Conflicts int                `json:"conflicts"`
	Events    map[string]int64   `json:"events"`
	Failures  []outcome          `json:"failures"` // every answer not expected, transport errors included
	Allowed   int                `json:"allowed"`  // failures the scenario allows (in flight at a kill, 503 while the database is down)
	Notes     []string           `json:"notes"`
	Bars      []bar              `json:"bars"`
	Acked     []ack              `json:"acked"`
}

func summarize(cfg *loadConfig, scenario string, events map[string]int64, recovery time.Duration, all []outcome, acks []ack, elapsed time.Duration) *summary {
	s := &summary{Scenario: scenario, Targets: cfg.targets, Seconds: elapsed.Seconds(), Conns: cfg.conns, Requests: len(all),
		RPS: float64(len(all)) / elapsed.Seconds(), ByStatus: map[string]int{}, Latency: map[string]latency{}, Events: events, Acked: acks}
	times := map[string][]float64{}
	for _, o := range all {
		k := o.Op + " " + strconv.Itoa(o.Status)
		if o.Err != "" {
			kind, _, _ := strings.Cut(o.Err, ":")
			k = o.Op + " " + kind
		}
		s.ByStatus[k]++
		if o.conflict() {
			s.Conflicts++
		}
		if o.Err != "" || !o.expected() {
			s.Failures = append(s.Failures, o)
		}
		class := "read"
		if o.Op == "create" || o.Op == "update" {
			class = "write"
		}
		times[class] = append(times[class], float64(o.End-o.Start))
	}
	for class, t := range times {
		slices.Sort(t)
		s.Latency[class] = latency{N: len(t), P50: percentile(t, 50), P99: percentile(t, 99), Max: t[len(t)-1]}
	}
	slices.SortFunc(s.Failures, func(a, b outcome) int { return int(a.Start - b.Start) })
	fivexx := 0
	for _, o := range s.Failures {
		if o.Status >= 500 {
			fivexx++
		}
	}

	// What each scenario allows, and the bars.
	var bad []outcome
	switch scenario {
	case "kill":
		kill, ok := events["kill"]
		if !ok {
			s.Bars = append(s.Bars, bar{"the kill happened during the load", "no kill event", false})
			break
		}
		// In flight at the kill: sent before the node was gone (the script
		// writes "kill" just before kill -9 and "killed" once the process
		// is reaped), answered after the kill, and failed the way a dead
		// server fails: the connection dropped, or the LB's 502.
		gone, ok := events["killed"]
		if !ok {
			gone = kill + 100
		}
		var inflight []outcome
		for _, o := range s.Failures {
			if o.Start <= gone && o.End >= kill && (o.Err != "" || o.Status == http.StatusBadGateway) {
				inflight = append(inflight, o)
			} else {
				bad = append(bad, o)
			}
		}
		s.Allowed = len(inflight)
		s.Notes = append(s.Notes, fmt.Sprintf("in flight on the node at the kill: %d failed (%s); kill -9 to the process reaped: %d ms", len(inflight), kinds(inflight), gone-kill))
		s.Bars = append(s.Bars,
			bar{"failures other than those in flight at the kill", fmt.Sprintf("%d (%s)", len(bad), kinds(bad)), len(bad) == 0},
			bar{"failures in flight at the kill, at most the connections", fmt.Sprintf("%d <= %d", len(inflight), cfg.conns), len(inflight) <= cfg.conns})
	case "dbrestart":
		stop, ok1 := events["db-stop"]
		up, ok2 := events["db-up"]
		if !ok1 || !ok2 {
			s.Bars = append(s.Bars, bar{"the database restarted during the load", "no db-stop/db-up events", false})
			break
		}
		s.Notes = append(s.Notes, fmt.Sprintf("database down (restart -m fast) for %d ms", up-stop))
		full := up + recovery.Milliseconds()
		var down, noRetry, fromLB []outcome
		lastFail := int64(0)
		for _, o := range s.Failures {
			switch {
			case o.Status == http.StatusServiceUnavailable && o.End >= stop && o.Start <= full:
				down = append(down, o)
				if o.FromLB {
					fromLB = append(fromLB, o)
				} else if !o.RetryAfter {
					noRetry = append(noRetry, o)
				}
			default:
				bad = append(bad, o)
			}
			if o.End >= stop {
				lastFail = max(lastFail, o.End)
			}
		}
		s.Allowed = len(down)
		firstOK := int64(-1)
		for _, a := range acks {
			if a.Start >= up && (firstOK < 0 || a.End < firstOK) {
				firstOK = a.End
			}
		}
		s.Notes = append(s.Notes, fmt.Sprintf("503 while down or recovering: %d from the load balancer (no node ready), %d from a node (%d of them without Retry-After)",
			len(fromLB), len(down)-len(fromLB), len(noRetry)))
		first := "none"
		if firstOK >= 0 {
			first = fmt.Sprintf("%+d ms", firstOK-up)
		}
		sustained := "no failure after it was back"
		if lastFail > up {
			sustained = fmt.Sprintf("last failure answered at %+d ms", lastFail-up)
		}
		s.Notes = append(s.Notes, fmt.Sprintf("from the database accepting connections: first acknowledged write %s; %s", first, sustained))
		s.Bars = append(s.Bars,
			bar{"failures other than 503 while the database is down", fmt.Sprintf("%d (%s)", len(bad), kinds(bad)), len(bad) == 0},
			bar{"full service within " + recovery.String() + " of the database's return", sustained, lastFail <= full},
			bar{"a write acknowledged after the database's return", first, firstOK >= 0})
	default:
		s.Bars = append(s.Bars,
			bar{"responses of 5xx", strconv.Itoa(fivexx), fivexx == 0},
			bar{"other failures (transport errors, unexpected statuses)", fmt.Sprintf("%d (%s)", len(s.Failures)-fivexx, kinds(s.Failures)), len(s.Failures) == fivexx})
	}
	return s
}

// kinds counts failures by status or error kind: "502 x3, reset x1".
func kinds(os []outcome) string {
	n := map[string]int{}
	for _, o := range os {
		k := strconv.Itoa(o.Status)
		if o.Err != "" {
			k, _, _ = strings.Cut(o.Err, ":")
		}
		n[o.Op+" "+k]++
	}
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(n)) {
		parts = append(parts, fmt.Sprintf("%s x%d", k, n[k]))
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}

func (s *summary) print(f *os.File) {
	fmt.Fprintf(f, "load %s: %d connections to %s for %.1f s: %d requests, %.0f/s\n", s.Scenario, s.Conns, strings.Join(s.Targets, ", "), s.Seconds, s.Requests, s.RPS)
	for _, k := range slices.Sorted(maps.Keys(s.ByStatus)) {
		fmt.Fprintf(f, "  %-28s %8d\n", k, s.ByStatus[k])
	}
	for _, class := range []string{"read", "write"} {
		if l, ok := s.Latency[class]; ok {
			fmt.Fprintf(f, "  latency %-5s p50 %6.1f ms  p99 %7.1f ms  max %7.1f ms  (%d)\n", class, l.P50, l.P99, l.Max, l.N)
		}
	}
	creates, updates := 0, 0
	for _, a := range s.Acked {
		if a.Kind == "create" {
			creates++
		} else {
			updates++
		}
	}
	fmt.Fprintf(f, "  acknowledged writes: %d creates, %d updates; conflicts (409/412, correct): %d\n", creates, updates, s.Conflicts)
	if n := len(slices.DeleteFunc(slices.Clone(s.Acked), func(a ack) bool { return a.Body == "" })); n > 0 {
		fmt.Fprintf(f, "  updates whose answer's body showed a later write than its ETag: %d\n", n)
	}
	for _, n := range s.Notes {
		fmt.Fprintf(f, "  %s\n", n)
	}
	// The failures, at most 20, with their time relative to the first event.
	var t0 int64
	for k, v := range s.Events {
		if k != "load-start" && (t0 == 0 || v < t0) {
			t0 = v
		}
	}
	for i, o := range s.Failures {
		if i == 20 {
			fmt.Fprintf(f, "  … %d more failures in the JSON summary\n", len(s.Failures)-20)
			break
		}
		what := strconv.Itoa(o.Status)
		if o.Err != "" {
			what = o.Err
		}
		rel := ""
		if t0 != 0 {
			rel = fmt.Sprintf(" (%+d..%+d ms from the event)", o.Start-t0, o.End-t0)
		}
		fmt.Fprintf(f, "  failure %s %s %s: %s at %s%s\n", o.Op, o.Method, o.Path, what, time.UnixMilli(o.Start).UTC().Format("15:04:05.000"), rel)
	}
	for _, b := range s.Bars {
		v := "PASS"
		if !b.Pass {
			v = "FAIL"
		}
		fmt.Fprintf(f, "  %-4s %s: %s\n", v, b.Name, b.Value)
	}
}
