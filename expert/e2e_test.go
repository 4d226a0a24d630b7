package main

import (
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestDemoEndToEnd builds the three real programs and runs the headless demo (.ci/demo.sh --headless): Expert and
// Customer each open a real window on their own Xvfb, meet through tandem-rendezvous on loopback, the customer
// joins with the key over QUIC on the ICE path found, and each program saves its window only once it is in the
// session.
func TestDemoEndToEnd(t *testing.T) {
	if _, err := exec.LookPath("Xvfb"); err != nil {
		if os.Getenv("TANDEM_E2E") == "require" {
			t.Fatal("Xvfb is not installed; `make deps` installs it")
		}
		t.Skip("Xvfb is not installed; `make test` installs it and runs this test")
	}
	if testing.Short() {
		t.Skip("end-to-end run skipped in -short mode")
	}
	bin := t.TempDir()
	for _, prog := range []string{"expert", "customer", "rendezvous"} {
		build := exec.Command("go", "build", "-o", filepath.Join(bin, "tandem-"+prog), "./"+prog)
		build.Dir = ".."
		if out, err := build.CombinedOutput(); err != nil {
			t.Fatalf("building %s: %v\n%s", prog, err, out)
		}
	}
	shots := t.TempDir()
	demo := exec.CommandContext(t.Context(), "bash", ".ci/demo.sh", "--headless", shots)
	demo.Dir = ".."
	demo.Env = append(os.Environ(), "BIN="+bin)
	out, err := demo.CombinedOutput()
	if err != nil {
		t.Fatalf("demo: %v\n%s", err, out)
	}
	// Both programs log how they are connected: through the rendezvous, not a direct link.
	if n := strings.Count(string(out), "joined Alice: direct, met through 127.0.0.1"); n != 1 {
		t.Errorf("the customer did not say it met the technician through the rendezvous:\n%s", out)
	}
	if n := strings.Count(string(out), "joined: direct, met through 127.0.0.1"); n != 1 {
		t.Errorf("the technician did not say the customer came through the rendezvous:\n%s", out)
	}
	for _, name := range []string{"expert.png", "customer.png"} {
		img := readPNG(t, filepath.Join(shots, name))
		if b := img.Bounds(); b.Dx() < 300 || b.Dy() < 40 { // the customer's toolbar is a strip in a session
			t.Errorf("%s is %v: not a whole window", name, b)
		}
		if n := colours(img); n < 8 {
			t.Errorf("%s has %d colours: nothing drawn", name, n)
		}
	}
}

func readPNG(t *testing.T, path string) image.Image {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return img
}

func colours(img image.Image) int {
	seen := map[uint32]bool{}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y += 3 {
		for x := b.Min.X; x < b.Max.X; x += 3 {
			r, g, bl, _ := img.At(x, y).RGBA()
			seen[r>>8<<16|g>>8<<8|bl>>8] = true
		}
	}
	return len(seen)
}
