package webhooksig

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// The vector was computed with Node's crypto, as @workos-inc/node's
// signature provider does: createHmac("sha256", secret).update(`${t}.${body}`).
const (
	vecSecret = "whsec_test"
	vecBody   = `{"object":"event","id":"event_000001","event":"role.updated","data":{"object":"role","slug":"admin"},"created_at":"2026-01-15T12:00:00.000Z"}`
	vecMillis = 1768478400000
	vecHeader = "t=1768478400000, v1=5641abf1ecf7bf8b3a70b22b7745f167e48a31f983bd42238f41577c9b65f7a6"
)

func TestSignMatchesNodeSDK(t *testing.T) {
	t.Parallel()
	if got := Sign(vecSecret, time.UnixMilli(vecMillis), []byte(vecBody)); got != vecHeader {
		t.Fatalf("Sign = %q, want %q", got, vecHeader)
	}
}

func TestVerify(t *testing.T) {
	t.Parallel()
	at := time.UnixMilli(vecMillis)
	tests := []struct {
		name    string
		secret  string
		header  string
		body    string
		now     time.Time
		tol     time.Duration
		wantErr error
	}{
		{name: "valid", header: vecHeader, now: at},
		{name: "valid without space", header: strings.Replace(vecHeader, ", ", ",", 1), now: at},
		{name: "within tolerance", header: vecHeader, now: at.Add(179 * time.Second)},
		{name: "too old", header: vecHeader, now: at.Add(181 * time.Second), wantErr: ErrTimestamp},
		{name: "too far in the future", header: vecHeader, now: at.Add(-181 * time.Second), wantErr: ErrTimestamp},
		{name: "custom tolerance", header: vecHeader, now: at.Add(10 * time.Second), tol: 5 * time.Second, wantErr: ErrTimestamp},
		{name: "other secret", secret: "whsec_other", header: vecHeader, now: at, wantErr: ErrSignature},
		{name: "body changed", header: vecHeader, body: vecBody + " ", now: at, wantErr: ErrSignature},
		{name: "timestamp changed", header: strings.Replace(vecHeader, "t=1768478400000", "t=1768478400001", 1), now: at, wantErr: ErrSignature},
		{name: "forged and old is a signature error", header: "t=1, v1=" + strings.Repeat("0", 64), now: at, wantErr: ErrSignature},
		{name: "leading zero in t is what was signed", header: "t=01768478400000, v1=5641abf1ecf7bf8b3a70b22b7745f167e48a31f983bd42238f41577c9b65f7a6", now: at, wantErr: ErrSignature},
		{name: "empty", header: "", now: at, wantErr: ErrMalformed},
		{name: "no comma", header: "t=1768478400000 v1=00", now: at, wantErr: ErrMalformed},
		{name: "swapped parts", header: "v1=5641abf1ecf7bf8b3a70b22b7745f167e48a31f983bd42238f41577c9b65f7a6, t=1768478400000", now: at, wantErr: ErrMalformed},
		{name: "short signature", header: "t=1768478400000, v1=5641ab", now: at, wantErr: ErrMalformed},
		{name: "non-hex signature", header: "t=1768478400000, v1=" + strings.Repeat("z", 64), now: at, wantErr: ErrMalformed},
		{name: "negative t", header: "t=-1, v1=" + strings.Repeat("0", 64), now: at, wantErr: ErrMalformed},
		{name: "huge t", header: "t=99999999999999999999, v1=" + strings.Repeat("0", 64), now: at, wantErr: ErrMalformed},
		{name: "second of two signatures matches (rotation)", header: "t=1768478400000, v1=" + strings.Repeat("0", 64) + ", v1=5641abf1ecf7bf8b3a70b22b7745f167e48a31f983bd42238f41577c9b65f7a6", now: at},
		{name: "first of two signatures matches", header: vecHeader + ",v1=" + strings.Repeat("0", 64), now: at},
		{name: "eighth signature matches", header: "t=1768478400000" + strings.Repeat(", v1="+strings.Repeat("0", 64), 7) + ", v1=5641abf1ecf7bf8b3a70b22b7745f167e48a31f983bd42238f41577c9b65f7a6", now: at},
		{name: "nine signatures", header: vecHeader + strings.Repeat(", v1="+strings.Repeat("0", 64), 8), now: at, wantErr: ErrMalformed},
		{name: "two signatures, none matches", header: "t=1768478400000, v1=" + strings.Repeat("0", 64) + ", v1=" + strings.Repeat("1", 64), now: at, wantErr: ErrSignature},
		{name: "two signatures, one malformed", header: vecHeader + ", v1=00", now: at, wantErr: ErrMalformed},
		{name: "trailing comma", header: vecHeader + ",", now: at, wantErr: ErrMalformed},
		{name: "second part another scheme", header: vecHeader + ", v0=" + strings.Repeat("0", 64), now: at, wantErr: ErrMalformed},
		{name: "two timestamps", header: vecHeader + ", t=1768478400000", now: at, wantErr: ErrMalformed},
		{name: "v0 scheme", header: "t=1768478400000, v0=5641abf1ecf7bf8b3a70b22b7745f167e48a31f983bd42238f41577c9b65f7a6", now: at, wantErr: ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			secret, body := tt.secret, tt.body
			if secret == "" {
				secret = vecSecret
			}
			if body == "" {
				body = vecBody
			}
			got, err := Verify(secret, tt.header, []byte(body), tt.now, tt.tol)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Verify error = %v, want %v", err, tt.wantErr)
			}
			if err == nil && !got.Equal(at) {
				t.Fatalf("Verify time = %v, want %v", got, at)
			}
			if err != nil && strings.Contains(err.Error(), secret) {
				t.Fatalf("error %q names the secret", err)
			}
		})
	}
}

func TestSignVerifyRoundTrip(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 1, 15, 12, 0, 0, 123e6, time.UTC)
	for _, body := range []string{"", "{}", `{"a":"<&>"}`, strings.Repeat("x", 1<<16)} {
		h := Sign("s3cret", now, []byte(body))
		if _, err := Verify("s3cret", h, []byte(body), now, 0); err != nil {
			t.Errorf("Verify(Sign(%.20q)) = %v", body, err)
		}
	}
}

// TestSignAllRotation: a sender rotating its secret signs with both; a
// receiver holding either one accepts, one holding neither refuses.
func TestSignAllRotation(t *testing.T) {
	t.Parallel()
	at := time.UnixMilli(vecMillis)
	h := SignAll([]string{"whsec_old", "whsec_new"}, at, []byte(vecBody))
	if want := Sign("whsec_old", at, []byte(vecBody)); !strings.HasPrefix(h, want+", v1=") {
		t.Fatalf("SignAll = %q, want it to begin with Sign's %q", h, want)
	}
	for secret, wantErr := range map[string]error{"whsec_old": nil, "whsec_new": nil, "whsec_other": ErrSignature} {
		if _, err := Verify(secret, h, []byte(vecBody), at, 0); !errors.Is(err, wantErr) {
			t.Errorf("Verify with %s = %v, want %v", secret, err, wantErr)
		}
	}
}

func FuzzVerify(f *testing.F) {
	f.Add(vecHeader, vecBody)
	f.Add(vecHeader+", v1="+strings.Repeat("0", 64), vecBody)
	f.Add("t=1, v1=00", "{}")
	f.Add("", "")
	f.Fuzz(func(t *testing.T, header, body string) {
		now := time.UnixMilli(vecMillis)
		ts, err := Verify(vecSecret, header, []byte(body), now, 0)
		if err == nil {
			// Only the true signature verifies: it is the one Sign makes,
			// and it is one of the header's (at most MaxSignatures).
			_, sigs, _ := Parse(header)
			_, want, _ := Parse(Sign(vecSecret, ts, []byte(body)))
			found := false
			for _, sig := range sigs {
				found = found || string(sig) == string(want[0])
			}
			if !found || len(sigs) > MaxSignatures {
				t.Fatalf("Verify accepted %q for %q", header, body)
			}
		}
		if err != nil && !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrSignature) && !errors.Is(err, ErrTimestamp) {
			t.Fatalf("unexpected error %v", err)
		}
	})
}
