// Command static is the baseline of bench/http.sh: it serves the bytes of
// one file, read once into memory, at every path, with one Content-Type
// (JSON unless -type says otherwise). Nothing a Go net/http server can do
// for a response of that size is cheaper.
package main

import (
	"flag"
	"log"
	"net/http"
	"os"
	"strconv"
	"time"
)

func main() {
	file := flag.String("file", "", "file whose bytes are served at every path")
	addr := flag.String("addr", "127.0.0.1:18081", "address to listen on")
	typ := flag.String("type", "application/json; charset=utf-8", "Content-Type of the response")
	flag.Parse()
	if *file == "" {
		log.Fatal("static: -file is required")
	}
	b, err := os.ReadFile(*file)
	if err != nil {
		log.Fatal(err)
	}
	ctype := []string{*typ}
	length := []string{strconv.Itoa(len(b))}
	hs := &http.Server{
		Addr: *addr,
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			h := w.Header()
			h["Content-Type"] = ctype
			h["Content-Length"] = length
			w.Write(b)
		}),
		ReadHeaderTimeout: 5 * time.Second,
	}
	log.Printf("static: serving %s (%d bytes) on http://%s", *file, len(b), *addr)
	log.Fatal(hs.ListenAndServe())
}
