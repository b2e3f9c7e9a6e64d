package authz

import (
	"sync"
)

// RetryBudget limits the retries of a whole Client, as gRPC's retry
// throttling does, so that during an outage retries do not multiply the
// load on the API: once the budget is spent, a failed call is not retried
// and costs one request.
//
// The budget is a bucket of tokens that starts full (MaxTokens). Every
// attempt that fails in a way [RetryPolicy] retries (408, 429, 5xx, no
// answer) takes one token; every answer that shows the API at work (any
// other status) puts back TokenRatio tokens, up to MaxTokens. A failed
// attempt is retried only while more than half of MaxTokens is left. A
// retry over a reused keep-alive connection that turned out to be dead is
// free: the API never saw the request.
//
// With the default budget (100 tokens, 0.1 back per answer) a Client that
// meets a permanent outage retries about 50 times in all — a dozen
// questions with their retries — then asks once per question; after the
// outage, every 10 answers earn a retry back.
type RetryBudget struct {
	// MaxTokens is the size of the bucket; 0 turns the budget off (every
	// call may retry as its RetryPolicy says).
	MaxTokens float64
	// TokenRatio is what one successful answer puts back.
	TokenRatio float64
}

// DefaultRetryBudget returns the budget of a new Client: MaxTokens 100,
// TokenRatio 0.1 (gRPC's token ratio; a bucket large enough that
// occasional failures never meet it).
func DefaultRetryBudget() RetryBudget { return RetryBudget{MaxTokens: 100, TokenRatio: 0.1} }

// WithRetryBudget replaces the Client-wide [RetryBudget] (default
// [DefaultRetryBudget]); RetryBudget{} turns it off. MaxTokens and
// TokenRatio must not be negative, and TokenRatio not above MaxTokens.
func WithRetryBudget(b RetryBudget) Option {
	return func(c *config) error {
		if b.MaxTokens < 0 || b.TokenRatio < 0 || b.TokenRatio > b.MaxTokens || b.MaxTokens != b.MaxTokens || b.TokenRatio != b.TokenRatio {
			return invalid("retry budget: MaxTokens and TokenRatio must be non-negative numbers, TokenRatio at most MaxTokens")
		}
		c.retryBudget = b
		return nil
	}
}

// retryBucket is the state of a Client's RetryBudget. A nil *retryBucket
// allows every retry.
type retryBucket struct {
	max, ratio float64
	mu         sync.Mutex
	tokens     float64
}

func newRetryBucket(b RetryBudget) *retryBucket {
	if b.MaxTokens == 0 {
		return nil
	}
	return &retryBucket{max: b.MaxTokens, ratio: b.TokenRatio, tokens: b.MaxTokens}
}

// failed takes a token for a failed attempt and reports whether a retry
// is allowed.
func (b *retryBucket) failed() bool {
	if b == nil {
		return true
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.tokens = max(0, b.tokens-1)
	return b.tokens > b.max/2
}

// answered puts back a part of a token after an answer of a working API.
func (b *retryBucket) answered() {
	if b == nil {
		return
	}
	b.mu.Lock()
	b.tokens = min(b.max, b.tokens+b.ratio)
	b.mu.Unlock()
}
