// Package pgtest gives tests a real PostgreSQL server: the one named by
// SCV_TEST_POSTGRES, or else a throwaway cluster it starts from the
// PostgreSQL binaries it finds (initdb in a temporary directory, a unix
// socket, no TCP port, run as the postgres user when the tests run as
// root). Without either, the tests that need it skip with one line that
// says how to run them.
package pgtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Env names the variable that points the tests at a server:
// SCV_TEST_POSTGRES=postgres://user@host/db go test ./...
const Env = "SCV_TEST_POSTGRES"

// Require names the variable that turns a skip for want of a server into
// a failure, for CI.
const Require = "SCV_TEST_REQUIRE_POSTGRES"

// Skip is the message of a test skipped for want of a server.
const Skip = "no PostgreSQL: set " + Env + "=postgres://... or install postgresql (initdb) to run this test"

var (
	once    sync.Once
	base    string // the server's URL, "" if none
	binDir  string // where pg_dump is, "" if not found
	baseErr error
	tables  atomic.Int64
)

// URL returns the URL of an empty table of its own on the test server
// (the engine's scv_table parameter), dropped when t ends. It skips t
// when there is no server; it fails t when the server cannot be started.
func URL(t testing.TB) string {
	t.Helper()
	u := Server(t)
	name := fmt.Sprintf("t%d_%d_%d", os.Getpid(), time.Now().UnixNano()%1e9, tables.Add(1))
	t.Cleanup(func() { Drop(u, name) })
	return WithTable(u, name)
}

// Server returns the server's URL, starting the throwaway cluster on the
// first call, or skips t.
func Server(t testing.TB) string {
	t.Helper()
	once.Do(start)
	if baseErr != nil {
		t.Fatalf("pgtest: %v", baseErr)
	}
	if base == "" {
		if os.Getenv(Require) != "" {
			t.Fatalf("pgtest: %s is set and there is no PostgreSQL: %s", Require, Skip)
		}
		t.Skip(Skip)
	}
	return base
}

// WithTable returns u with scv_table set to name.
func WithTable(u, name string) string {
	p, err := url.Parse(u)
	if err != nil {
		return u
	}
	q := p.Query()
	q.Set("scv_table", name)
	p.RawQuery = q.Encode()
	return p.String()
}

// Drop drops a table of the test server; errors are ignored.
func Drop(u, name string) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, u)
	if err != nil {
		return
	}
	defer conn.Close(ctx)
	conn.Exec(ctx, "DROP TABLE IF EXISTS "+pgx.Identifier{name}.Sanitize())
}

// Dump returns pg_dump's plain output of the table the URL names, or
// skips t without pg_dump.
func Dump(t testing.TB, u string) []byte {
	t.Helper()
	pgDump := filepath.Join(binDir, "pg_dump")
	if _, err := os.Stat(pgDump); binDir == "" || err != nil {
		if pgDump, err = exec.LookPath("pg_dump"); err != nil {
			t.Skip("pg_dump not found")
		}
	}
	p, err := url.Parse(u)
	if err != nil {
		t.Fatal(err)
	}
	q := p.Query()
	table := q.Get("scv_table")
	q.Del("scv_table")
	q.Del("scv_notify")
	p.RawQuery = q.Encode()
	out, err := exec.Command(pgDump, "--data-only", "--table="+table, p.String()).Output()
	if err != nil {
		t.Fatalf("pg_dump: %v", err)
	}
	return out
}

// start sets base: the environment's server, or a cluster of its own.
func start() {
	if u := os.Getenv(Env); u != "" {
		base = u
		return
	}
	binDir = findBin()
	if binDir == "" {
		return
	}
	base, baseErr = startCluster(binDir)
}

// findBin returns the directory of initdb and postgres: on PATH, or the
// newest of Debian's /usr/lib/postgresql/*/bin.
func findBin() string {
	if p, err := exec.LookPath("initdb"); err == nil {
		if _, err := exec.LookPath("postgres"); err == nil {
			if real, err := filepath.EvalSymlinks(p); err == nil {
				p = real // Debian's links in /usr/local/bin: pg_dump is beside the target
			}
			return filepath.Dir(p)
		}
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return version(dirs[i]) < version(dirs[j]) })
	for i := len(dirs) - 1; i >= 0; i-- {
		if _, err := os.Stat(filepath.Join(dirs[i], "initdb")); err == nil {
			return dirs[i]
		}
	}
	return ""
}

func version(binDir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return n
}

// startCluster runs initdb in a new temporary directory and starts
// postgres on a unix socket there, killed when this process dies. As
// root it runs both as the postgres user (PostgreSQL refuses root).
func startCluster(bin string) (string, error) {
	removeStale()
	dir, err := os.MkdirTemp("", "scvpg-")
	if err != nil {
		return "", err
	}
	var cred *syscall.Credential
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			return "", errors.New("running as root and there is no postgres user to run the server as; set " + Env)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
		if err := os.Chown(dir, uid, gid); err != nil {
			return "", err
		}
	}
	data := filepath.Join(dir, "data")
	cmd := exec.Command(filepath.Join(bin, "initdb"), "-D", data, "-U", "scv", "--auth=trust", "--no-sync", "-E", "UTF8", "--locale=C")
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	if out, err := cmd.CombinedOutput(); err != nil {
		os.RemoveAll(dir)
		return "", fmt.Errorf("initdb: %v: %s", err, bytes.TrimSpace(out))
	}
	// fsync off: the tests kill clients, not the server, and a lost
	// server takes its throwaway cluster with it.
	pg := exec.Command(filepath.Join(bin, "postgres"), "-D", data, "-k", dir, "-c", "listen_addresses=",
		"-c", "fsync=off", "-c", "max_connections=300", "-c", "shared_buffers=64MB")
	pg.SysProcAttr = &syscall.SysProcAttr{Credential: cred, Pdeathsig: syscall.SIGQUIT, Setpgid: true}
	logf, err := os.Create(filepath.Join(dir, "log"))
	if err == nil {
		pg.Stdout, pg.Stderr = logf, logf
	}
	if err := pg.Start(); err != nil {
		os.RemoveAll(dir)
		return "", fmt.Errorf("postgres: %v", err)
	}
	u := "postgres://scv@/postgres?host=" + url.QueryEscape(dir)
	for deadline := time.Now().Add(30 * time.Second); ; {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		c, err := pgx.Connect(ctx, u)
		cancel()
		if err == nil {
			c.Close(context.Background())
			return u, nil
		}
		if time.Now().After(deadline) {
			pg.Process.Kill()
			log, _ := os.ReadFile(filepath.Join(dir, "log"))
			return "", fmt.Errorf("postgres did not start: %v: %s", err, bytes.TrimSpace(log))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// removeStale removes the clusters of test processes that are gone.
func removeStale() {
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), "scvpg-*"))
	for _, d := range dirs {
		pid, err := os.ReadFile(filepath.Join(d, "data", "postmaster.pid"))
		if err == nil {
			n, _ := strconv.Atoi(string(bytes.SplitN(pid, []byte("\n"), 2)[0]))
			// initdb's single-user backend writes its pid negated.
			if n = max(n, -n); n > 0 && syscall.Kill(n, 0) == nil {
				continue
			}
		} else if fi, err := os.Stat(d); err != nil || time.Since(fi.ModTime()) < time.Hour {
			continue
		}
		os.RemoveAll(d)
	}
}
