// Echo peer for bench/net/compare_echo.sh: one goroutine per connection, a 16 KiB buffer, read
// then write back (like Strata's io::copy; io.Copy would splice(2) TCP to TCP instead).
// Build (GOPATH mode): GO111MODULE=off go build -o /tmp/echo-go echo.go; run: echo-go --port 0.
package main

import (
	"flag"
	"fmt"
	"net"
	"os"
)

func echo(c net.Conn) {
	defer c.Close()
	buf := make([]byte, 16384)
	for {
		n, err := c.Read(buf)
		if n > 0 {
			if _, werr := c.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

func main() {
	port := flag.Int("port", 7000, "TCP port on 127.0.0.1 (0 picks a free one)")
	flag.Parse()
	ln, err := net.Listen("tcp4", fmt.Sprintf("127.0.0.1:%d", *port))
	if err != nil {
		fmt.Fprintln(os.Stderr, "echo.go:", err)
		os.Exit(1)
	}
	fmt.Println("listening on", ln.Addr().String()) // Go sets TCP_NODELAY by default
	for {
		c, err := ln.Accept()
		if err != nil {
			continue
		}
		go echo(c)
	}
}
