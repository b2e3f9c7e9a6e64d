package fleet

import (
	"bytes"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/fgakit/fgakit/events"
	"time"
)

func TestNothingFormatsTheSecrets(t *testing.T) {
	t.Parallel()
	const apiKey = "sk_test_0123456789abcdefSECRET"
	api := &eventsAPI{key: apiKey}
	srv := httptest.NewServer(api)
	defer srv.Close()
	f := deadFleet(t, false)
	cfg := FeedConfig{APIKey: apiKey, BaseURL: srv.URL, Lease: time.Second, Deliver: func([]events.Event) {}}
	fd, err := f.StartFeed(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer fd.Close()
	var logged bytes.Buffer
	slog.New(slog.NewTextHandler(&logged, nil)).Info("x", "fleet", f, "feed", fd, "cfg", cfg)
	outs := []string{logged.String()}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x"} {
		for _, v := range []any{f, fd, cfg, &cfg, struct{ C FeedConfig }{cfg}} {
			outs = append(outs, fmt.Sprintf(verb, v))
		}
	}
	secretHex := fmt.Sprintf("%x", testSecret)
	for _, out := range outs {
		if strings.Contains(out, "SECRET") || strings.Contains(out, string(testSecret)) || strings.Contains(out, secretHex) {
			t.Errorf("formatted a secret: %s", out)
		}
	}
}

// TestFeedErrorsNeverHoldTheAPIKey: an Events API answer that echoes the
// key (in an event ID, in a malformed event) reaches the error handler
// and the log without it.
func TestFeedErrorsNeverHoldTheAPIKey(t *testing.T) {
	t.Parallel()
	const apiKey = "sk_test_0123456789abcdefSECRET"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"object":"list","data":[{"object":"event","id":"event_%s","event":"organization_membership.updated","data":{}}]}`, apiKey)
	}))
	defer srv.Close()
	var mu sync.Mutex
	var reports []string
	var logged bytes.Buffer
	f := deadFleet(t, false, WithLogger(slog.New(slog.NewTextHandler(&syncWriter{w: &logged, mu: &mu}, nil))),
		WithErrorHandler(func(err error) {
			if err != nil {
				mu.Lock()
				reports = append(reports, err.Error())
				mu.Unlock()
			}
		}))
	fd, err := f.StartFeed(FeedConfig{APIKey: apiKey, BaseURL: srv.URL, PollInterval: 20 * time.Millisecond, Lease: 40 * time.Millisecond, Deliver: func([]events.Event) {}})
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, 5*time.Second, "a poll failed", func() bool { return fd.Status().PollFailures > 0 })
	fd.Close()
	mu.Lock()
	defer mu.Unlock()
	all := strings.Join(reports, "\n") + logged.String() + fmt.Sprint(fd.Status().LastError)
	if !strings.Contains(all, "GET /events") {
		t.Fatalf("no report of the failed poll: %q", all)
	}
	if strings.Contains(all, "0123456789abcdef") {
		t.Errorf("an error or log line holds the API key: %s", all)
	}
}

type syncWriter struct {
	w  *bytes.Buffer
	mu *sync.Mutex
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}
