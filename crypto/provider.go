package crypto

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
)

// DefaultKeyEnv is the environment variable [EnvKeyProvider] reads when its
// Name is empty.
const DefaultKeyEnv = "SCV_KEY"

// KeyProvider supplies the root key when a store opens. Implementations
// read it from a file ([FileKeyProvider]), from the environment
// ([EnvKeyProvider]), or fetch it from a KMS or secret manager (implement
// the interface, or wrap a function in [KeyProviderFunc], and build the key
// with [NewRootKey] or [ParseRootKey]).
//
// RootKey is called once per open; it should honour ctx's deadline and
// cancellation. Errors must not contain key material.
type KeyProvider interface {
	RootKey(ctx context.Context) (*RootKey, error)
}

// KeyProviderFunc adapts a function to the [KeyProvider] interface.
type KeyProviderFunc func(ctx context.Context) (*RootKey, error)

// RootKey calls f(ctx).
func (f KeyProviderFunc) RootKey(ctx context.Context) (*RootKey, error) { return f(ctx) }

// FileKeyProvider reads the root key from a key file written by
// [RootKey.KeyFile] (the command line's "scv keygen"). Keep the file readable
// by the service's user only (mode 0600), on another volume than the data
// and out of its backups: a key stored beside the data protects nothing.
type FileKeyProvider struct {
	Path string
}

// RootKey reads and parses the key file. Errors name the path, never the
// file's content; a damaged file is an [ErrMalformed] error.
func (p FileKeyProvider) RootKey(ctx context.Context) (*RootKey, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if p.Path == "" {
		return nil, errors.New("crypto: FileKeyProvider has no Path")
	}
	f, err := os.Open(p.Path)
	if err != nil {
		return nil, fmt.Errorf("crypto: key file: %w", err) // *PathError names the path only
	}
	defer f.Close()
	text, err := io.ReadAll(io.LimitReader(f, keyTextMaxSize+1))
	defer clear(text)
	if err != nil {
		return nil, fmt.Errorf("crypto: key file %s: %w", p.Path, err)
	}
	k, err := ParseRootKey(text)
	if err != nil {
		return nil, fmt.Errorf("crypto: key file %s: %w", p.Path, err)
	}
	return k, nil
}

// EnvKeyProvider reads the root key text, as written by [RootKey.KeyFile]
// (the key line alone is enough), from an environment variable: Name, or
// [DefaultKeyEnv] if Name is empty. The variable stays set; a process that
// starts children it does not trust should unset it after the store opens.
type EnvKeyProvider struct {
	Name string
}

// RootKey reads and parses the variable. Errors name the variable, never
// its value; an unset or empty variable is an error.
func (p EnvKeyProvider) RootKey(ctx context.Context) (*RootKey, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	name := p.Name
	if name == "" {
		name = DefaultKeyEnv
	}
	v, ok := os.LookupEnv(name)
	if !ok || v == "" {
		return nil, fmt.Errorf("crypto: environment variable %s is not set", name)
	}
	text := []byte(v)
	defer clear(text)
	k, err := ParseRootKey(text)
	if err != nil {
		return nil, fmt.Errorf("crypto: environment variable %s: %w", name, err)
	}
	return k, nil
}

var (
	_ KeyProvider = FileKeyProvider{}
	_ KeyProvider = EnvKeyProvider{}
	_ KeyProvider = KeyProviderFunc(nil)
)
