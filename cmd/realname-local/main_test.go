package main

import (
	"io"
	"strings"
	"testing"
)

// Issue 11: -api and -invoke refuse addresses beyond loopback unless -allow-remote.
func TestParseOptionsListenAddresses(t *testing.T) {
	for _, tt := range []struct {
		args        []string
		wantError   string // "" for none
		allowRemote bool
	}{
		{args: nil},
		{args: []string{"-api", "localhost:3000", "-invoke", "[::1]:3001"}},
		{args: []string{"-api", "0.0.0.0:3000"}, wantError: "-api"},
		{args: []string{"-invoke", ":3001"}, wantError: "-invoke"},
		{args: []string{"-invoke", "192.168.1.10:3001"}, wantError: "allow-remote"},
		{args: []string{"-allow-remote", "-api", "0.0.0.0:3000", "-invoke", ":3001"}, allowRemote: true},
	} {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			o, err := parseOptions(tt.args, io.Discard)
			if tt.wantError != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantError) {
					t.Fatalf("err = %v, want an error naming %s", err, tt.wantError)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if o.AllowRemote != tt.allowRemote {
				t.Errorf("AllowRemote = %v, want %v", o.AllowRemote, tt.allowRemote)
			}
		})
	}
	o, _ := parseOptions(nil, io.Discard)
	if o.APIAddr != "127.0.0.1:3000" || o.InvokeAddr != "127.0.0.1:3001" || o.AllowRemote {
		t.Errorf("defaults = %+v", o)
	}
}
