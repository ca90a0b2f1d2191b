package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"

	"github.com/realname-kyc/realname/pkg/app"
)

// lines decodes every JSON record written to buf; it fails the test on anything that is
// not one JSON object per line.
func lines(t *testing.T, buf *bytes.Buffer) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		if l == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("log line is not JSON: %q: %v", l, err)
		}
		out = append(out, m)
	}
	return out
}

func TestRequestIDRoundTrip(t *testing.T) {
	if got := app.RequestID(context.Background()); got != "" {
		t.Errorf("RequestID(empty ctx) = %q, want \"\"", got)
	}
	ctx := app.WithRequestID(context.Background(), "req-1")
	if got := app.RequestID(ctx); got != "req-1" {
		t.Errorf("RequestID = %q, want req-1", got)
	}
}

func TestLogger(t *testing.T) {
	tests := []struct {
		name      string
		level     string
		ctx       context.Context
		log       func(ctx context.Context, l *slog.Logger)
		wantCount int
		wantID    string // "" means request_id must be absent
		wantAttr  map[string]any
	}{
		{
			name: "request id from context", level: "info",
			ctx:       app.WithRequestID(context.Background(), "c0ffee-1"),
			log:       func(ctx context.Context, l *slog.Logger) { l.InfoContext(ctx, "hello", "k", "v") },
			wantCount: 1, wantID: "c0ffee-1",
			wantAttr: map[string]any{"msg": "hello", "level": "INFO", "k": "v"},
		},
		{
			name: "no request id", level: "info",
			ctx:       context.Background(),
			log:       func(ctx context.Context, l *slog.Logger) { l.InfoContext(ctx, "hello") },
			wantCount: 1,
			wantAttr:  map[string]any{"msg": "hello"},
		},
		{
			name: "request id through WithAttrs", level: "info",
			ctx:       app.WithRequestID(context.Background(), "req-attrs"),
			log:       func(ctx context.Context, l *slog.Logger) { l.With("route", "health").WarnContext(ctx, "w") },
			wantCount: 1, wantID: "req-attrs",
			wantAttr: map[string]any{"route": "health", "level": "WARN"},
		},
		{
			name: "debug dropped at info", level: "info",
			ctx:       app.WithRequestID(context.Background(), "x"),
			log:       func(ctx context.Context, l *slog.Logger) { l.DebugContext(ctx, "quiet") },
			wantCount: 0,
		},
		{
			name: "debug kept at debug", level: "debug",
			ctx:       app.WithRequestID(context.Background(), "dbg"),
			log:       func(ctx context.Context, l *slog.Logger) { l.DebugContext(ctx, "loud") },
			wantCount: 1, wantID: "dbg",
			wantAttr: map[string]any{"level": "DEBUG"},
		},
		{
			name: "error level drops warn", level: "error",
			ctx: context.Background(),
			log: func(ctx context.Context, l *slog.Logger) {
				l.WarnContext(ctx, "dropped")
				l.ErrorContext(ctx, "kept")
			},
			wantCount: 1,
			wantAttr:  map[string]any{"msg": "kept"},
		},
		{
			name: "empty level is info", level: "",
			ctx: context.Background(),
			log: func(ctx context.Context, l *slog.Logger) {
				l.DebugContext(ctx, "dropped")
				l.InfoContext(ctx, "kept")
			},
			wantCount: 1,
			wantAttr:  map[string]any{"msg": "kept"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			l := app.NewLogger(&buf, tt.level)
			tt.log(tt.ctx, l)
			recs := lines(t, &buf)
			if len(recs) != tt.wantCount {
				t.Fatalf("got %d records, want %d: %s", len(recs), tt.wantCount, buf.String())
			}
			if tt.wantCount == 0 {
				return
			}
			rec := recs[0]
			id, has := rec["request_id"]
			switch {
			case tt.wantID == "" && has:
				t.Errorf("request_id = %v, want none", id)
			case tt.wantID != "" && id != tt.wantID:
				t.Errorf("request_id = %v, want %q", id, tt.wantID)
			}
			for k, v := range tt.wantAttr {
				if rec[k] != v {
					t.Errorf("%s = %v, want %v (record %v)", k, rec[k], v, rec)
				}
			}
			if _, ok := rec["time"]; !ok {
				t.Errorf("record has no time: %v", rec)
			}
		})
	}
}
