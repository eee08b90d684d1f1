package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/scv-go/scv"
	"github.com/scv-go/scv/server"
)

// shutdownGrace is how long serve waits for requests in flight after
// SIGTERM or SIGINT.
const shutdownGrace = 10 * time.Second

func setupServe(flags *flag.FlagSet, e *env) func(context.Context, []string) error {
	e.dbFlags(flags)
	e.regionFlag(flags)
	addr := flags.String("addr", "127.0.0.1:8080", "address to listen on, host:port")
	cert := flags.String("tls-cert", "", "TLS certificate file (PEM); with --tls-key, serve HTTPS")
	key := flags.String("tls-key", "", "TLS private key file (PEM)")
	return func(ctx context.Context, args []string) (err error) {
		if err := wantArgs("serve", args, 0, "no arguments"); err != nil {
			return err
		}
		if (*cert == "") != (*key == "") {
			return usageError("serve: give both --tls-cert and --tls-key, or neither")
		}
		db, err := e.openRefreshed(ctx)
		if err != nil {
			return err
		}
		defer closeDB(db, &err)
		if !e.asOfSet {
			go refreshEvery(ctx, e, db, refreshInterval)
		}
		ln, err := net.Listen("tcp", *addr)
		if err != nil {
			return usageError("serve: cannot listen on %s: %v", *addr, errors.Unwrap(err))
		}
		return serve(ctx, e, db, ln, *cert, *key)
	}
}

// refreshInterval is how often a running server moves the stored
// stages, churn risks and windowed metrics to now, as every read
// command does before it reads.
const refreshInterval = time.Hour

// refreshEvery refreshes the stored stages to now every interval until
// ctx is done; a failure is logged and retried at the next tick.
func refreshEvery(ctx context.Context, e *env, db *scv.DB, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if _, err := db.Refresh(ctx, e.now()); err != nil && ctx.Err() == nil {
				fmt.Fprintf(e.stderr, "scv: serve: refresh: %v\n", err)
			}
		}
	}
}

// serve serves db on ln until ctx is done, then shuts down gracefully:
// the change-feed streams end, requests in flight get shutdownGrace.
func serve(ctx context.Context, e *env, db *scv.DB, ln net.Listener, cert, key string) error {
	srv := server.New(db, server.Options{
		Logger:        slog.New(slog.NewJSONHandler(e.stderr, nil)),
		SecureCookies: cert != "",
		Region:        e.region,
	})
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}
	scheme := "http"
	if cert != "" {
		scheme = "https"
	}
	fmt.Fprintf(e.stderr, "scv: serving the API and console on %s://%s (stop with Ctrl-C or SIGTERM)\n", scheme, ln.Addr())
	done := make(chan error, 1)
	go func() {
		if cert != "" {
			done <- hs.ServeTLS(ln, cert, key)
		} else {
			done <- hs.Serve(ln)
		}
	}()
	select {
	case err := <-done:
		srv.Close()
		return err
	case <-ctx.Done():
	}
	srv.Close()
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownGrace)
	defer cancel()
	err := hs.Shutdown(sctx)
	if serr := <-done; !errors.Is(serr, http.ErrServerClosed) && err == nil {
		err = serr
	}
	fmt.Fprintln(e.stderr, "scv: server stopped")
	return err
}

func setupToken(flags *flag.FlagSet, e *env) func(context.Context, []string) error {
	e.dbFlags(flags)
	scope := flags.String("scope", "read", "create: read, import or admin")
	purpose := flags.String("purpose", "", "create: internal, marketing, personalisation or third_party (required)")
	label := flags.String("label", "", "create: a note to tell tokens apart (no personal data)")
	asJSON := flags.Bool("json", false, "print JSON")
	return func(ctx context.Context, args []string) (err error) {
		if len(args) == 0 {
			return usageError("token: want create, list or revoke ID (see \"scv help token\")")
		}
		sub := args[0]
		switch sub {
		case "create", "list":
			if err := wantArgs("token "+sub, args[1:], 0, "no arguments"); err != nil {
				return err
			}
		case "revoke":
			if err := wantArgs("token revoke", args[1:], 1, "a token ID"); err != nil {
				return err
			}
		default:
			return usageError("token: unknown subcommand %s: want create, list or revoke", shown(sub))
		}
		if sub == "create" {
			if !scv.Scope(*scope).Allows(scv.ScopeRead) {
				return usageError("token create: --scope is read, import or admin")
			}
			switch scv.Purpose(*purpose) {
			case scv.PurposeInternal, "marketing", "personalisation", "third_party":
			default:
				return usageError("token create: --purpose is internal, marketing, personalisation or third_party")
			}
		}
		db, err := e.open(openOptions{})
		if err != nil {
			return lockedByServer(err)
		}
		defer closeDB(db, &err)
		switch sub {
		case "create":
			text, tok, err := db.CreateToken(ctx, scv.Scope(*scope), scv.Purpose(*purpose), *label)
			if err != nil {
				return err
			}
			if *asJSON {
				return writeJSON(e.stdout, struct {
					scv.Token
					Secret string `json:"token"`
				}{tok, text})
			}
			fmt.Fprintf(e.stdout, "%s\n", text)
			fmt.Fprintf(e.stderr, "scv: token %s (scope %s, purpose %s) created; it is shown once: keep it in a secret manager\n", tok.ID, tok.Scope, tok.Purpose)
			return nil
		case "list":
			toks, err := db.Tokens(ctx)
			if err != nil {
				return err
			}
			if *asJSON {
				if toks == nil {
					toks = []scv.Token{}
				}
				return writeJSON(e.stdout, toks)
			}
			for _, t := range toks {
				fmt.Fprintf(e.stdout, "%s  %-6s  %-15s  %s  %s\n", t.ID, t.Scope, t.Purpose, t.Created.In(chinaTime).Format(time.DateTime), t.Label)
			}
			return nil
		}
		if err := db.RevokeToken(ctx, args[1]); errors.Is(err, scv.ErrNotFound) {
			return notFound("token revoke: no token with that id")
		} else if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "revoked token %s\n", args[1])
		return nil
	}
}

// lockedByServer adds to the error of a Badger directory another process
// holds what to do when that process is scv serve: manage the tokens
// through its API.
func lockedByServer(err error) error {
	var xe *exitError
	if !errors.Is(err, scv.ErrLocked) || !errors.As(err, &xe) {
		return err
	}
	return &exitError{code: xe.code, err: err, msg: xe.msg + "; if it is scv serve, manage tokens through it " +
		"with an admin token: POST /v1/tokens, GET /v1/tokens, DELETE /v1/tokens/ID (see docs/server.md), " +
		"or stop it and run scv token again"}
}
