package unattended

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/tandem-remote/tandem/shared/protocol"
)

// The local channel serves only the users MayUse names: another user (here the "nobody" account) is told
// NotAllowed, whatever it asks. The other user is one thread of this test that gave up root for nobody's
// credentials (the kernel records the connecting thread's), so no program has to be found and run as nobody;
// the socket is an abstract one, which no folder's permissions hide.
func TestLocalChannelRefusesAnotherUser(t *testing.T) {
	if os.Getuid() != 0 {
		if os.Getenv("CI") != "" {
			t.Fatal("CI runs as root; this test must run there")
		}
		t.Skip("needs root to take another user's credentials")
	}
	socket := fmt.Sprintf("@tandem-agent-test-%d-%d", os.Getpid(), time.Now().UnixNano())
	a := startAgentAt(t, socket) // serves uid 0 only
	if err := asNobody(func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if _, err := DialAdmin(ctx, socket); protocol.CodeOf(err) != protocol.NotAllowed {
			return fmt.Errorf("admin as nobody: %w", err)
		}
		if _, err := DialHelper(ctx, socket); protocol.CodeOf(err) != protocol.NotAllowed {
			return fmt.Errorf("helper as nobody: %w", err)
		}
		// Whatever it says, a peer the agent does not serve gets one refusal and an end.
		c, err := net.Dial("unix", socket)
		if err != nil {
			return err
		}
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(10 * time.Second))
		_, _ = c.Write([]byte(`{"op":"status"}` + "\n"))
		b, _ := io.ReadAll(c)
		if got := string(b); got != `{"op":"refused","code":30}`+"\n" {
			return fmt.Errorf("a raw peer read %q", got)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	// This test's own user is served.
	if _, err := a.adminStatus(t); err != nil {
		t.Fatalf("root: %v", err)
	}
}

// asNobody runs f on an OS thread of its own that has taken the "nobody" account's credentials. The thread stays
// locked to the goroutine, so it ends with it and nothing else ever runs as nobody (the raw system calls change
// that one thread, where syscall.Setresuid would change every thread of the process).
func asNobody(f func() error) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread goes away with this goroutine
		const nobody = 65534
		if _, _, e := syscall.RawSyscall(syscall.SYS_SETRESGID, nobody, nobody, nobody); e != 0 {
			errc <- fmt.Errorf("setresgid: %w", e)
			return
		}
		if _, _, e := syscall.RawSyscall(syscall.SYS_SETRESUID, nobody, nobody, nobody); e != 0 {
			errc <- fmt.Errorf("setresuid: %w", e)
			return
		}
		errc <- f()
	}()
	return <-errc
}
