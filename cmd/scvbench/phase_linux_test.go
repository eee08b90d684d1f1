package main

import (
	"runtime/debug"
	"syscall"
	"testing"
	"time"
)

// TestMeasure checks that a phase's own memory is sampled while it runs,
// not only at its end: the phase maps and touches 64 MiB of anonymous
// memory, holds it for a few samples and unmaps it before it ends, and its
// peak must still show it. It also checks the progress marks.
func TestMeasure(t *testing.T) {
	if procMiB("RssAnon") == 0 {
		t.Skip("no RssAnon in /proc/self/status")
	}
	// Memory the runtime would return to the system during the phase
	// would lower its peak below the 64 MiB it maps: return it first.
	debug.FreeOSMemory()
	before := procMiB("RssAnon")
	run, err := measure(func(mark func(int)) error {
		mem, err := syscall.Mmap(-1, 0, 64<<20, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
		if err != nil {
			return err
		}
		for i := 0; i < len(mem); i += 4096 {
			mem[i] = 1
		}
		mark(1)
		time.Sleep(4 * ownMemoryEvery)
		mark(2)
		return syscall.Munmap(mem)
	})
	if err != nil {
		t.Fatal(err)
	}
	if after := procMiB("RssAnon"); after > before+32 {
		t.Fatalf("RssAnon %.0f MiB after the phase, %.0f before: the mapping was not released", after, before)
	}
	if run.ownPeak < before+60 {
		t.Errorf("own peak %.0f MiB, want at least %.0f (64 MiB above %.0f)", run.ownPeak, before+60, before)
	}
	if len(run.marks) != 2 || run.marks[1].done != 2 || run.marks[1].at < run.marks[0].at || run.took < run.marks[1].at {
		t.Errorf("marks %v in %v", run.marks, run.took)
	}
}
