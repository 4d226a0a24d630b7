package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"time"
)

// x264 is the reference encoder running beside ours: x264's command line tool, fed the same raw BGRA frames on
// its standard input. Its output goes straight to a temporary file (no goroutine of ours copies it, so that our
// CPU time is ours alone), which is measured and removed.
type x264 struct {
	cmd    *exec.Cmd
	in     io.WriteCloser
	out    *os.File
	stderr bytes.Buffer
}

// runX264 codes the recording at path with x264 and returns the bytes it wrote and the CPU time it used.
func runX264(path string) (int64, time.Duration, error) {
	rec, err := openRecording(path)
	if err != nil {
		return 0, 0, err
	}
	defer rec.close()
	x, err := startX264(rec.w, rec.h)
	if err != nil {
		return 0, 0, err
	}
	defer x.kill()
	pix := make([]byte, 4*rec.w*rec.h)
	for i := range rec.n {
		if err := rec.read(i, pix); err != nil {
			return 0, 0, err
		}
		if err := x.write(pix); err != nil {
			return 0, 0, err
		}
	}
	return x.finish()
}

func startX264(w, h int) (*x264, error) {
	bin, err := exec.LookPath("x264")
	if err != nil {
		return nil, errors.New("-x264: the x264 command is not installed (Debian: apt-get install x264)")
	}
	out, err := os.CreateTemp("", "framebench-*.264")
	if err != nil {
		return nil, err
	}
	_ = os.Remove(out.Name()) // the open file is all we need
	x := &x264{out: out}
	x.cmd = exec.Command(bin, "--threads", "1", "--preset", "ultrafast", "--qp", "0",
		"--input-csp", "bgra", "--output-csp", "rgb", "--demuxer", "raw",
		"--input-res", strconv.Itoa(w)+"x"+strconv.Itoa(h), "--fps", "30",
		"--quiet", "--no-progress", "-o", "-", "-")
	x.cmd.Stdout = out
	x.cmd.Stderr = &x.stderr
	if x.in, err = x.cmd.StdinPipe(); err != nil {
		_ = out.Close()
		return nil, err
	}
	if err := x.cmd.Start(); err != nil {
		_ = out.Close()
		return nil, fmt.Errorf("-x264: %w", err)
	}
	return x, nil
}

func (x *x264) write(pix []byte) error {
	if _, err := x.in.Write(pix); err != nil {
		return fmt.Errorf("-x264: writing a frame: %w", err)
	}
	return nil
}

// finish ends x264's input and returns the bytes it wrote and the CPU time (user + system) it used.
func (x *x264) finish() (int64, time.Duration, error) {
	if err := x.in.Close(); err != nil {
		return 0, 0, fmt.Errorf("-x264: %w", err)
	}
	if err := x.cmd.Wait(); err != nil {
		return 0, 0, fmt.Errorf("-x264: %w: %s", err, bytes.TrimSpace(x.stderr.Bytes()))
	}
	fi, err := x.out.Stat()
	_ = x.out.Close()
	if err != nil {
		return 0, 0, err
	}
	st := x.cmd.ProcessState
	return fi.Size(), st.UserTime() + st.SystemTime(), nil
}

// kill stops x264 when the run ends early; after finish it does nothing.
func (x *x264) kill() {
	if x.cmd.ProcessState == nil && x.cmd.Process != nil {
		_ = x.cmd.Process.Kill()
		_ = x.cmd.Wait()
	}
	_ = x.out.Close()
}
