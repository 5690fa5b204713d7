package stack

import (
	"os"
	"testing"
	"time"
)

// A child's peak memory is its own, however large the parent that started
// it: the kernel's ru_maxrss would report the parent's.
func TestPeakRSSIsTheChildsOwn(t *testing.T) {
	ballast := make([]byte, 400<<20)
	for i := range ballast {
		if i%4096 == 0 {
			ballast[i] = 1 // touch every page, so that it is resident
		}
	}
	p, err := Start("sleep", "/bin/sleep", []string{"0.3"}, nil, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Wait(t.Context()); err != nil {
		t.Fatal(err)
	}
	got := p.PeakRSSMB()
	if got <= 0 || got > 50 {
		t.Errorf("peak RSS of sleep: %.1f MiB, want a few MiB (the test holds %d MiB)",
			got, len(ballast)>>20)
	}
	if ballast[4096] != 1 {
		t.Fatal("ballast lost") // keeps the ballast alive until here
	}
}

func TestCPUSecondsOf(t *testing.T) {
	before, err := CPUSecondsOf(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	x := 0
	for start := time.Now(); time.Since(start) < 300*time.Millisecond; {
		x++ // burn CPU
	}
	after, err := CPUSecondsOf(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if d := after - before; d < 0.1 || d > 5 {
		t.Errorf("CPU seconds of 0.3 s of busy loop: %.2f, want about 0.3 (loop ran %d times)",
			d, x)
	}
	if _, err := CPUSecondsOf(1 << 30); err == nil {
		t.Error("CPU seconds of a process that does not exist: no error")
	}
}
