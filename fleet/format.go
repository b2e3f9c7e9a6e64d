package fleet

import (
	"fmt"
	"log/slog"
)

// Format prints the Fleet as its key prefix and health, never its secret,
// whatever the verb (%v, %+v, %#v, %s…).
func (f *Fleet) Format(s fmt.State, _ rune) {
	fmt.Fprintf(s, "fleet.Fleet{prefix: %q, healthy: %v}", f.prefix, f.Status().Healthy)
}

// LogValue logs the Fleet as its key prefix and health, never its secret.
func (f *Fleet) LogValue() slog.Value {
	return slog.GroupValue(slog.String("prefix", f.prefix), slog.Bool("healthy", f.Status().Healthy))
}

// Format prints the configuration without its API key, whatever the verb.
func (c FeedConfig) Format(s fmt.State, _ rune) {
	fmt.Fprintf(s, "fleet.FeedConfig{BaseURL: %q, PollInterval: %v, Lease: %v, ReadBack: %v, APIKey: [REDACTED]}", c.BaseURL, c.PollInterval, c.Lease, c.ReadBack)
}

// LogValue logs the configuration without its API key.
func (c FeedConfig) LogValue() slog.Value {
	return slog.GroupValue(slog.String("base_url", c.BaseURL), slog.Duration("poll_interval", c.PollInterval), slog.Duration("lease", c.Lease))
}

// Format prints the Feed as its configuration (without the API key) and
// whether it leads, whatever the verb.
func (fd *Feed) Format(s fmt.State, _ rune) {
	fmt.Fprintf(s, "fleet.Feed{%v, leader: %v}", fd.cfg, fd.leader.Load())
}

// LogValue logs the Feed without its API key.
func (fd *Feed) LogValue() slog.Value {
	return slog.GroupValue(slog.Any("config", fd.cfg), slog.Bool("leader", fd.leader.Load()))
}
