package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"time"
)

// proc is one process of the deployment the suite runs and kills. A
// supervised proc is started again after it exits, as a container with
// `restart: unless-stopped` or a Deployment's pod would be.
type proc struct {
	name, kind string
	bin        string
	args, env  []string
	cred       *syscall.Credential
	log        io.Writer
	supervised bool
	ready      func(ctx context.Context) error // nil: running is ready
	metrics    string                          // host:port of its /metrics, if any
	base       string                          // the api's base URL

	mu      sync.Mutex
	cmd     *exec.Cmd
	done    chan struct{}
	stopped bool // the suite stopped it for good (or holds it down)
	starts  int
	exits   int // exits the suite did not cause
	killing bool
}

func (p *proc) start() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	cmd := exec.Command(p.bin, p.args...)
	cmd.Env = append(os.Environ(), p.env...)
	cmd.Stdout, cmd.Stderr = p.log, p.log
	// Its own process group: kill -9 takes the whole process (PostgreSQL's
	// backends with their postmaster, as a machine crash would).
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL, Credential: p.cred}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("error starting %s: %w", p.name, err)
	}
	p.cmd, p.done = cmd, make(chan struct{})
	p.starts++
	done := p.done
	go func() {
		_ = cmd.Wait()
		p.mu.Lock()
		caused := p.killing || p.stopped
		p.killing = false
		if !caused {
			p.exits++
		}
		restart := p.supervised && !p.stopped
		p.mu.Unlock()
		close(done)
		if restart {
			time.Sleep(restartDelay)
			p.mu.Lock()
			again := !p.stopped && p.cmd == cmd
			p.mu.Unlock()
			if again {
				if err := p.start(); err != nil {
					fmt.Fprintf(p.log, "chaos: %v\n", err)
				}
			}
		}
	}()
	return nil
}

// restartDelay is how long a supervisor waits before starting a process
// that exited again.
const restartDelay = 500 * time.Millisecond

// kill9 kills the process group with SIGKILL and waits for it to exit.
func (p *proc) kill9() {
	p.mu.Lock()
	cmd, done := p.cmd, p.done
	if cmd == nil || cmd.Process == nil {
		p.mu.Unlock()
		return
	}
	p.killing = true
	p.mu.Unlock()
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	<-done
}

// hold kills the process and keeps it down until release.
func (p *proc) hold() {
	p.mu.Lock()
	p.stopped = true
	p.mu.Unlock()
	p.kill9()
}

func (p *proc) release() error {
	p.mu.Lock()
	p.stopped = false
	p.mu.Unlock()
	return p.start()
}

// stop ends the process for good with SIGTERM (SIGKILL after 10 s).
func (p *proc) stop() {
	p.mu.Lock()
	p.stopped = true
	cmd, done := p.cmd, p.done
	p.mu.Unlock()
	if cmd == nil || cmd.Process == nil {
		return
	}
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-done
	}
}

func (p *proc) running() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.done == nil {
		return false
	}
	select {
	case <-p.done:
		return false
	default:
		return true
	}
}

// waitReady waits until the process runs and answers its readiness check.
func (p *proc) waitReady(ctx context.Context, within time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, within)
	defer cancel()
	for {
		if p.running() && (p.ready == nil || p.ready(ctx) == nil) {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s was not ready within %s", p.name, within)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// freePort asks the kernel for a free loopback port.
func freePort() int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func addr(port int) string { return fmt.Sprintf("127.0.0.1:%d", port) }
