package stack

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
)

// Proc is a stage (or the simulator) running as a child process, its
// output going to a log file.
type Proc struct {
	Name    string
	LogPath string

	cmd  *exec.Cmd
	done chan struct{}
	err  error // set before done is closed
	// peakKiB is the highest VmHWM read while the process ran.
	peakKiB atomic.Int64
}

// Start starts bin with args and the extra environment env (KEY=VALUE, on
// top of this process's environment); its stdout and stderr go to
// logDir/<name>.log.
func Start(name, bin string, args, env []string, logDir string) (*Proc, error) {
	if err := os.MkdirAll(logDir, 0o755); err != nil {
		return nil, fmt.Errorf("creating log folder %s: %w", logDir, err)
	}
	logPath := filepath.Join(logDir, name+".log")
	f, err := os.Create(logPath)
	if err != nil {
		return nil, fmt.Errorf("creating log of %s: %w", name, err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = f, f
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		f.Close()
		return nil, fmt.Errorf("starting %s (%s): %w", name, bin, err)
	}
	p := &Proc{Name: name, LogPath: logPath, cmd: cmd, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		f.Close()
		close(p.done)
	}()
	go p.watchPeak()
	return p, nil
}

// peakEvery is how often a running process's peak memory is read.
const peakEvery = 50 * time.Millisecond

// watchPeak reads the process's VmHWM until it exits. VmHWM only grows, so
// the last reading misses at most what the process grew in its final
// peakEvery. The kernel's rusage after exit cannot be used instead: it
// counts the parent's memory at the fork (ru_maxrss survives exec), so a
// large parent shows as every child's peak.
func (p *Proc) watchPeak() {
	t := time.NewTicker(peakEvery)
	defer t.Stop()
	for {
		p.readPeak()
		select {
		case <-p.done:
			return
		case <-t.C:
		}
	}
}

// Pid returns the process id.
func (p *Proc) Pid() int { return p.cmd.Process.Pid }

// Done is closed when the process has exited.
func (p *Proc) Done() <-chan struct{} { return p.done }

// Wait waits for the process to exit by itself and returns its error; a
// non-zero exit names the log file to read.
func (p *Proc) Wait(ctx context.Context) error {
	select {
	case <-p.done:
	case <-ctx.Done():
		return fmt.Errorf("waiting for %s: %w", p.Name, ctx.Err())
	}
	if p.err != nil {
		return fmt.Errorf("%s: %w (log: %s)", p.Name, p.err, p.LogPath)
	}
	return nil
}

// Stop sends SIGTERM, waits up to grace for the process to exit, then
// kills it. A process that already exited is left as it is.
func (p *Proc) Stop(grace time.Duration) error {
	select {
	case <-p.done:
		return nil
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(grace):
		_ = p.cmd.Process.Kill()
		<-p.done
		return fmt.Errorf("%s did not stop within %s of SIGTERM; killed", p.Name, grace)
	}
	var exit *exec.ExitError
	if p.err != nil && !errors.As(p.err, &exit) {
		return fmt.Errorf("stopping %s: %w", p.Name, p.err)
	}
	return nil
}

// Kill sends SIGKILL and waits for the process to go.
func (p *Proc) Kill() {
	_ = p.cmd.Process.Kill()
	<-p.done
}

// PeakRSSMB returns the process's peak resident memory in MiB, as read
// from /proc while it ran.
func (p *Proc) PeakRSSMB() float64 {
	select {
	case <-p.done:
	default:
		p.readPeak()
	}
	return float64(p.peakKiB.Load()) / 1024
}

// readPeak raises peakKiB to the process's VmHWM.
func (p *Proc) readPeak() {
	kib, err := vmHWM(p.Pid())
	if err != nil {
		return // exited, or not yet readable
	}
	for old := p.peakKiB.Load(); kib > old; old = p.peakKiB.Load() {
		if p.peakKiB.CompareAndSwap(old, kib) {
			return
		}
	}
}

// CPUSeconds returns the user and system CPU time the process used, once
// it has exited; 0 before.
func (p *Proc) CPUSeconds() float64 {
	select {
	case <-p.done:
		st := p.cmd.ProcessState
		return (st.UserTime() + st.SystemTime()).Seconds()
	default:
		return 0
	}
}

// clockTicks is the kernel's USER_HZ, the unit of CPU times in
// /proc/<pid>/stat: 100 on every Linux architecture Go supports.
const clockTicks = 100

// CPUSecondsOf returns the user and system CPU time a running process has
// used, from /proc/<pid>/stat.
func CPUSecondsOf(pid int) (float64, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, err
	}
	// The command name, field 2, is in parentheses and may hold spaces;
	// utime and stime are fields 14 and 15, the 12th and 13th after it.
	_, rest, ok := strings.Cut(string(b), ") ")
	f := strings.Fields(rest)
	if !ok || len(f) < 13 {
		return 0, fmt.Errorf("unexpected /proc/%d/stat: %.80q", pid, b)
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return 0, fmt.Errorf("/proc/%d/stat: %w", pid, err)
	}
	return float64(utime+stime) / clockTicks, nil
}

func vmHWM(pid int) (int64, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			v = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB"))
			return strconv.ParseInt(v, 10, 64)
		}
	}
	return 0, fmt.Errorf("no VmHWM in /proc/%d/status", pid)
}
