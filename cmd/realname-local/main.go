// Command realname-local runs the whole product on this machine (`make run`): every route
// on 127.0.0.1:3000 as API Gateway would invoke it, the Lambda Invoke API on
// 127.0.0.1:3001, embedded backends with data in .local/ (or, with -emulated, DynamoDB
// Local, fauxqs and a VersityGW process).
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/realname-kyc/realname/pkg/localrun"
)

func main() {
	var o localrun.Options
	flag.StringVar(&o.Dir, "data", ".local", "data folder")
	flag.StringVar(&o.APIAddr, "api", "127.0.0.1:3000", "address of the API (API Gateway stand-in)")
	flag.StringVar(&o.InvokeAddr, "invoke", "127.0.0.1:3001", "address of the Lambda Invoke API")
	flag.BoolVar(&o.Emulated, "emulated", false, "use DynamoDB Local, fauxqs and a VersityGW process instead of the embedded backends")
	flag.StringVar(&o.Version, "version", "dev", "version reported by /v1/health")
	flag.Parse()
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
