// Command realname-local runs the whole product on this machine (`make run`): every route
// on 127.0.0.1:3000 as API Gateway would invoke it, the Lambda Invoke API on
// 127.0.0.1:3001, embedded backends with data in .local/ (or, with -emulated, DynamoDB
// Local, fauxqs and a VersityGW process). Both servers answer only requests addressed to
// loopback and not sent by a foreign web page (pkg/localrun guard.go); -api and -invoke
// must be loopback addresses unless -allow-remote is given.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/realname-kyc/realname/pkg/localrun"
)

func main() {
	o, err := parseOptions(os.Args[1:], os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(0)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "realname-local:", err)
		os.Exit(2)
	}
	o.Out = os.Stderr

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	began := time.Now()
	r, err := localrun.Start(ctx, o)
	if err != nil {
		fmt.Fprintln(os.Stderr, "realname-local:", err)
		os.Exit(1)
	}
	r.PrintBanner(os.Stdout, time.Since(began))
	<-ctx.Done()
	fmt.Fprintln(os.Stdout, "realname-local: shutting down")
	r.Close()
	fmt.Fprintln(os.Stdout, "realname-local: stopped")
}

// parseOptions reads the command line. -api and -invoke must be loopback addresses
// unless -allow-remote is given (localrun.CheckListenAddr; Start checks it again).
func parseOptions(args []string, usage io.Writer) (localrun.Options, error) {
	var o localrun.Options
	fs := flag.NewFlagSet("realname-local", flag.ContinueOnError)
	fs.SetOutput(usage)
	fs.StringVar(&o.Dir, "data", ".local", "data folder")
	fs.StringVar(&o.APIAddr, "api", "127.0.0.1:3000", "address of the API (API Gateway stand-in); loopback only unless -allow-remote")
	fs.StringVar(&o.InvokeAddr, "invoke", "127.0.0.1:3001", "address of the Lambda Invoke API; loopback only unless -allow-remote")
	fs.BoolVar(&o.AllowRemote, "allow-remote", false, "let -api and -invoke listen beyond loopback (0.0.0.0, a LAN address) and accept IP-literal Host headers; "+
		"the runner has no authentication, so whoever reaches it can grant roles")
	fs.BoolVar(&o.Emulated, "emulated", false, "use DynamoDB Local, fauxqs and a VersityGW process instead of the embedded backends")
	fs.StringVar(&o.Version, "version", "dev", "version reported by /v1/health")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	for _, a := range []struct{ flag, addr string }{{"-api", o.APIAddr}, {"-invoke", o.InvokeAddr}} {
		if err := localrun.CheckListenAddr(a.addr, o.AllowRemote); err != nil {
			return o, fmt.Errorf("%s: %w", a.flag, err)
		}
	}
	return o, nil
}
