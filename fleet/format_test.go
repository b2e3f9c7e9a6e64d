package fleet

import (
	"bytes"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"strings"
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
