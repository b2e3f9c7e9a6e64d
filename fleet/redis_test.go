package fleet

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// redisAddr is the Redis the tests use: FGAKIT_REDIS_ADDR (set by .ci/run),
// or a redis-server TestMain started on a free port; "" when neither is
// available (the tests that need Redis skip).
var redisAddr string

// noRedis says why there is no Redis.
var noRedis string

func TestMain(m *testing.M) {
	if os.Getenv(simChildEnv) != "" {
		os.Exit(simChild())
	}
	stop := func() {}
	if addr := os.Getenv("FGAKIT_REDIS_ADDR"); addr != "" {
		redisAddr = addr
	} else if srv, err := startRedis(); err != nil {
		noRedis = err.Error()
	} else {
		redisAddr, stop = srv.addr, srv.stop
	}
	code := m.Run()
	stop()
	os.Exit(code)
}

// redisServer is a redis-server process the tests started.
type redisServer struct {
	addr string
	port int
	cmd  *exec.Cmd
}

// freePort returns a TCP port free on 127.0.0.1 now.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// startRedis starts redis-server on a free port, without persistence, and
// waits (at most 10 s) until it answers PING.
func startRedis() (*redisServer, error) {
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		return nil, fmt.Errorf("no Redis: set FGAKIT_REDIS_ADDR or install redis-server (apt-get install -y redis-server)")
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	return startRedisOn(bin, port)
}

func startRedisOn(bin string, port int) (*redisServer, error) {
	cmd := exec.Command(bin, "--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--loglevel", "warning")
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := &redisServer{addr: "127.0.0.1:" + strconv.Itoa(port), port: port, cmd: cmd}
	rdb := redis.NewClient(&redis.Options{Addr: s.addr, MaxRetries: -1, DialTimeout: 100 * time.Millisecond})
	defer rdb.Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		err := rdb.Ping(ctx).Err()
		cancel()
		if err == nil {
			return s, nil
		}
		if time.Now().After(deadline) {
			s.stop()
			return nil, fmt.Errorf("redis-server on port %d did not answer PING: %v", port, err)
		}
		time.Sleep(20 * time.Millisecond) // polling a process we started, not waiting for time
	}
}

func (s *redisServer) stop() {
	_ = s.cmd.Process.Kill()
	_ = s.cmd.Wait()
}

// needRedis skips t when no Redis is available.
func needRedis(t testing.TB) {
	t.Helper()
	if redisAddr == "" {
		t.Skipf("skipping: %s", noRedis)
	}
}

// testSecret is the fleet secret of the tests.
var testSecret = []byte("0123456789abcdef0123456789abcdef")

// testPrefix returns a key prefix of its own for each test, so parallel
// tests share one Redis without sharing keys
// (-count=N runs included).
func testPrefix(t testing.TB) string {
	if p, ok := prefixes.Load(t); ok {
		return p.(string)
	}
	h := sha256.Sum256(fmt.Appendf(nil, "%s %d %d", t.Name(), os.Getpid(), prefixSeq.Add(1)))
	p, _ := prefixes.LoadOrStore(t, "t"+hex.EncodeToString(h[:6])+":")
	return p.(string)
}

var (
	prefixes  sync.Map // testing.TB → string
	prefixSeq atomic.Int64
)

// testTimeout is the fleet timeout (and the Redis client's timeouts) of
// the tests' healthy instances. A loaded test machine (-race, two cores,
// other test binaries) can hold a round trip to a healthy Redis well over
// DefaultTimeout (100 ms), and a test about sharing through Redis must not
// see it fall back meanwhile. The fallback has tests of its own, against a
// Redis that refuses, never answers (deadFleet) or is switched off
// (switchedFleet's hook).
const testTimeout = 10 * time.Second

// newRedis returns a client of the test Redis, closed at cleanup: the
// fleet's options (RedisOptions) with testTimeout's timeouts.
func newRedis(t testing.TB) *redis.Client {
	t.Helper()
	needRedis(t)
	o := RedisOptions(redisAddr)
	o.DialTimeout, o.ReadTimeout, o.WriteTimeout, o.PoolTimeout = testTimeout, testTimeout, testTimeout, testTimeout
	rdb := redis.NewClient(o)
	t.Cleanup(func() { rdb.Close() })
	return rdb
}

// newFleet returns one instance of the test's fleet: its own Redis client,
// the test's prefix, the test secret, testTimeout (opts may override
// each).
func newFleet(t testing.TB, opts ...Option) *Fleet {
	t.Helper()
	rdb := newRedis(t)
	f, err := New(rdb, append([]Option{WithPrefix(testPrefix(t)), WithSecret(testSecret), WithTimeout(testTimeout)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// deadFleet returns an instance whose Redis never answers: a closed port
// (refused at once), or, when slow is true, a listener that accepts and
// never replies (every command times out).
func deadFleet(t testing.TB, slow bool, opts ...Option) *Fleet {
	t.Helper()
	addr := "127.0.0.1:1"
	if slow {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		done := make(chan struct{})
		go func() {
			defer close(done)
			var conns []net.Conn
			defer func() {
				for _, c := range conns {
					c.Close()
				}
			}()
			for {
				c, err := l.Accept()
				if err != nil {
					return
				}
				conns = append(conns, c)
			}
		}()
		t.Cleanup(func() { l.Close(); <-done })
		addr = l.Addr().String()
	}
	o := RedisOptions(addr)
	o.MinIdleConns = 0
	rdb := redis.NewClient(o)
	t.Cleanup(func() { rdb.Close() })
	f, err := New(rdb, append([]Option{WithPrefix(testPrefix(t)), WithSecret(testSecret), WithTimeout(50 * time.Millisecond)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return f
}
