package main

import (
	"bytes"
	"encoding/hex"
	"regexp"
	"strings"
	"testing"

	"github.com/scv-go/scv/internal/pgtest"
)

// TestNoPlaintextInPostgres imports the fixtures into a PostgreSQL
// database through --db postgres://..., dumps the table with pg_dump and
// looks for every needle in the dump as written and in its bytea values
// decoded. The decoded dump must hold the store's own plaintext key
// names (a control that the decoding works).
func TestNoPlaintextInPostgres(t *testing.T) {
	ns := needles(t)
	c := newCLI(t)
	c.db = pgtest.URL(t)
	if sum := c.importFixtures(); sum.Accepted < 100 {
		t.Fatalf("%d records imported; the scan would prove little", sum.Accepted)
	}
	c.ok("refresh")
	dump := pgtest.Dump(t, c.db)
	decoded, rows := decodeDump(dump)
	if rows < 300 {
		t.Fatalf("%d rows in the dump; the scan would prove little", rows)
	}
	if !bytes.Contains(decoded, []byte("keyring")) {
		t.Fatal("the decoded dump lacks the meta key \"keyring\": the bytea decoding is wrong")
	}
	// The dump's text without its hex values (digits in which a phone
	// number can turn up by chance), and the values decoded.
	text := hexValue.ReplaceAll(dump, nil)
	for _, b := range [][]byte{text, decoded} {
		if found := leaks(b, ns); len(found) > 0 {
			t.Errorf("%d needles in the pg_dump output (not shown)", len(found))
		}
	}
}

// hexValue is a bytea value as pg_dump writes it.
var hexValue = regexp.MustCompile(`\\\\x[0-9a-f]*`)

// decodeDump returns the bytea values of a plain pg_dump's COPY rows,
// hex-decoded and concatenated, and the number of rows.
func decodeDump(dump []byte) ([]byte, int) {
	var out []byte
	rows := 0
	for line := range strings.Lines(string(dump)) {
		fields := strings.Split(strings.TrimRight(line, "\n"), "\t")
		if len(fields) != 2 {
			continue
		}
		for _, f := range fields {
			if b, err := hex.DecodeString(strings.TrimPrefix(f, `\\x`)); err == nil {
				out = append(append(out, b...), 0)
			}
		}
		rows++
	}
	return out, rows
}

// TestPostgresFromEnv: SCV_DB names the database when --db is absent, and
// a command run against it sees what another one imported.
func TestPostgresFromEnv(t *testing.T) {
	c := newCLI(t)
	c.db = pgtest.URL(t)
	c.importFixtures()
	t.Setenv("SCV_DB", c.db)
	r := run1(t, "stats", "--json", "--key-file", c.key, "--as-of", asOfDay)
	if r.code != exitOK {
		t.Fatalf("stats with SCV_DB: exit %d: %s", r.code, r.stderr)
	}
	if !strings.Contains(r.stdout, `"profiles"`) || strings.Contains(r.stdout, `"profiles": 0`) {
		t.Fatalf("stats with SCV_DB shows no profiles: %s", r.stdout)
	}
}
