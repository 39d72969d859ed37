package main

import (
	"net"
	"os"
)

// nodeID names this serve in the job queue: the host's name and the
// address it listens on. No two processes run under one name at once (two
// cannot listen on one address of one host), and a node started again on
// its address takes back the jobs its killed process left running.
func nodeID(addr net.Addr) string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "localhost"
	}
	id := host + "/" + addr.String()
	if len(id) > 100 { // River keeps the leader's name in at most 128 characters
		id = id[len(id)-100:]
	}
	return id
}
