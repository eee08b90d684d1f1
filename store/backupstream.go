package store

import (
	"bufio"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"io"
)

// A backup of format 4 is authenticated from its first byte to its last.
// After the header (magic and keyring state) the engine's snapshot is cut
// into frames: a uvarint length n, n bytes, and a 32-byte tag
// HMAC-SHA256(k, previous tag || uvarint n || bytes), where k is
// [crypto.RootKey.BackupKey] and the tag before the first frame is
// HMAC-SHA256(k, header). A frame of length 0 ends the stream, and nothing
// may follow it. Each tag covers everything before it, so a reader passes
// on no byte it has not authenticated, frames cannot be dropped, repeated
// or moved, and a stream cut anywhere lacks its last frame.

// backupFrame is the most snapshot bytes one frame holds.
const backupFrame = 64 << 10

// ErrBackupDamaged is returned by Restore for a backup that is truncated or
// whose bytes were altered: its authentication fails. Nothing is replaced.
var ErrBackupDamaged = errors.New("store: backup is damaged (truncated or altered)")

// headerTag returns the tag that precedes the first frame.
func headerTag(key, header []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write(header)
	return m.Sum(nil)
}

// frameWriter writes the frames of a format 4 backup to w.
type frameWriter struct {
	w    *bufio.Writer
	mac  hash.Hash
	prev []byte
	buf  []byte
}

func newFrameWriter(w *bufio.Writer, key, header []byte) *frameWriter {
	return &frameWriter{w: w, mac: hmac.New(sha256.New, key), prev: headerTag(key, header), buf: make([]byte, 0, backupFrame)}
}

func (f *frameWriter) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		k := min(len(p), backupFrame-len(f.buf))
		f.buf = append(f.buf, p[:k]...)
		p = p[k:]
		if len(f.buf) == backupFrame {
			if err := f.frame(); err != nil {
				return 0, err
			}
		}
	}
	return n, nil
}

// frame writes the buffered bytes as one frame (the last, if none are
// buffered).
func (f *frameWriter) frame() error {
	var lb [binary.MaxVarintLen64]byte
	l := binary.PutUvarint(lb[:], uint64(len(f.buf)))
	f.mac.Reset()
	f.mac.Write(f.prev)
	f.mac.Write(lb[:l])
	f.mac.Write(f.buf)
	f.prev = f.mac.Sum(f.prev[:0])
	f.w.Write(lb[:l])
	f.w.Write(f.buf)
	_, err := f.w.Write(f.prev)
	f.buf = f.buf[:0]
	return err
}

// Close writes what is buffered and the final frame.
func (f *frameWriter) Close() error {
	if len(f.buf) > 0 {
		if err := f.frame(); err != nil {
			return err
		}
	}
	return f.frame()
}

// frameReader reads the snapshot out of the frames of a format 4 backup,
// returning only bytes it has authenticated. It returns io.EOF after the
// final frame has been authenticated and nothing follows it, and an error
// wrapping [ErrBackupDamaged] if a tag does not match or the stream ends
// early.
type frameReader struct {
	r     *bufio.Reader
	mac   hash.Hash
	prev  []byte
	buf   []byte // authenticated bytes not yet read
	data  []byte
	n     int   // frames read
	off   int64 // bytes of frames read
	done  bool
	err   error
	check func(n int) error // called before a frame is passed on; may refuse it
}

func newFrameReader(r *bufio.Reader, key, header []byte) *frameReader {
	return &frameReader{r: r, mac: hmac.New(sha256.New, key), prev: headerTag(key, header), data: make([]byte, backupFrame)}
}

func (f *frameReader) Read(p []byte) (int, error) {
	for len(f.buf) == 0 {
		if f.err != nil {
			return 0, f.err
		}
		if f.done {
			return 0, io.EOF
		}
		f.err = f.next()
	}
	n := copy(p, f.buf)
	f.buf = f.buf[n:]
	return n, nil
}

// next reads and authenticates one frame.
func (f *frameReader) next() error {
	truncated := func() error {
		return fmt.Errorf("%w: it ends in frame %d, %d bytes into the data, before its final frame", ErrBackupDamaged, f.n+1, f.off)
	}
	l, err := binary.ReadUvarint(f.r)
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return truncated()
	}
	if err != nil {
		return err
	}
	if l > backupFrame {
		return fmt.Errorf("%w: frame %d, %d bytes into the data, claims %d bytes (at most %d)", ErrBackupDamaged, f.n+1, f.off, l, backupFrame)
	}
	data := f.data[:l]
	var tag [sha256.Size]byte
	if _, err := io.ReadFull(f.r, data); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return truncated()
		}
		return err
	}
	if _, err := io.ReadFull(f.r, tag[:]); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return truncated()
		}
		return err
	}
	var lb [binary.MaxVarintLen64]byte
	f.mac.Reset()
	f.mac.Write(f.prev)
	f.mac.Write(lb[:binary.PutUvarint(lb[:], l)])
	f.mac.Write(data)
	f.prev = f.mac.Sum(f.prev[:0])
	if !hmac.Equal(f.prev, tag[:]) {
		return fmt.Errorf("%w: frame %d, %d bytes into the data, fails authentication", ErrBackupDamaged, f.n+1, f.off)
	}
	f.n++
	f.off += int64(l)
	if l == 0 {
		if _, err := f.r.ReadByte(); err == nil {
			return fmt.Errorf("%w: bytes follow its final frame", ErrBackupDamaged)
		} else if !errors.Is(err, io.EOF) {
			return err
		}
		f.done = true
		return nil
	}
	if f.check != nil {
		if err := f.check(int(l)); err != nil {
			return err
		}
	}
	f.buf = data
	return nil
}
