package scv

import (
	"embed"
	"io/fs"
)

//go:embed testdata/README.md testdata/wechat testdata/weibo testdata/pos testdata/ecommerce testdata/csv
var fixtures embed.FS

// Fixtures returns the sample exports of one made-up brand and its forty
// customers, as "scv demo" imports them: one directory per
// [identity.Format] (wechat, weibo, pos, ecommerce, csv), a NAME.map
// sidecar holding the [identity.ParseMapping] text of the CSV file beside
// it, and README.md, which lists the cast and the lifecycle stage each
// person has as of 2026-11-23. All names, numbers and ids in them are
// made up. The files are part of the module, so they are there in any
// directory and in other modules; see package scvtest to load them into a
// test database in one call. A program that never calls Fixtures does not
// carry them in its binary.
func Fixtures() fs.FS {
	sub, err := fs.Sub(fixtures, "testdata")
	if err != nil {
		panic("scv: fixtures: " + err.Error()) // the embedded directory is fixed at build time
	}
	return sub
}
