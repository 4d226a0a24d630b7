// Command slowlink puts a slow link (the relay of shared/transport/relay) in front of a UDP address, to watch the
// real programs through one of the link profiles of issue 16:
//
//	go run ./shared/transport/relay/slowlink -to 127.0.0.1:47800 -profile B
//
// It prints the address to give the customer (tandem-customer -addr ADDR KEY) and forwards until interrupted,
// then prints what each direction carried and dropped.
package main

import (
	"flag"
	"fmt"
	"log"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/tandem-remote/tandem/shared/transport/relay"
)

var profiles = map[string]relay.Link{
	"A": {Rate: 10_000_000, Delay: 50 * time.Millisecond, Loss: 0.01},
	"B": {Rate: 2_000_000, Delay: 100 * time.Millisecond, Jitter: 20 * time.Millisecond, Loss: 0.02},
	"C": {Rate: 50_000_000, Delay: 15 * time.Millisecond, Loss: 0.001},
}

func main() {
	to := flag.String("to", "", "the address to forward to (the technician's host:port)")
	name := flag.String("profile", "A", "the link profile: A (10 Mbit/s, 100 ms, 1 % loss), B (2 Mbit/s, 200 ms, 2 % loss, 20 ms jitter) or C (50 Mbit/s, 30 ms, 0.1 % loss)")
	flag.Parse()
	link, ok := profiles[strings.ToUpper(*name)]
	if *to == "" || !ok {
		flag.Usage()
		os.Exit(2)
	}
	r, err := relay.Start(*to)
	if err != nil {
		log.Fatal(err)
	}
	r.SetLinks(link, link)
	fmt.Println(r.Addr())
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, os.Interrupt, syscall.SIGTERM)
	<-stop
	r.Close()
	up, down := r.Stats()
	fmt.Fprintf(os.Stderr, "slowlink: towards %s: %+v; back: %+v\n", *to, up, down)
}
