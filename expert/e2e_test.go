package main

import (
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestDemoEndToEnd builds the three real programs and runs the headless demo (.ci/demo.sh --headless), in
// English and French: Expert opens a session through tandem-rendezvous on loopback; a customer with nothing
// installed types the key on the rendezvous's join page and downloads Tandem Customer, which, started without
// any argument, joins by itself over QUIC on the ICE path found; each program saves its window once it is in the
// session, and the technician's viewer shows the pattern drawn on the customer's screen.
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
	for _, language := range []string{"en", "fr"} {
		t.Run(language, func(t *testing.T) { demo(t, bin, language) })
	}
}

func demo(t *testing.T, bin, language string) {
	shots := t.TempDir()
	demo := exec.CommandContext(t.Context(), "bash", ".ci/demo.sh", "--headless", shots)
	demo.Dir = ".."
	demo.Env = append(os.Environ(), "BIN="+bin, "TANDEM_LANG="+language)
	out, err := demo.CombinedOutput()
	if err != nil {
		t.Fatalf("demo: %v\n%s", err, out)
	}
	// The customer came through the join page: the program handed out carries the key in its name.
	if !regexp.MustCompile(`the join page handed out tandem-customer-[0-9]{9}-linux-`).Match(out) {
		t.Errorf("the join page handed out no program named with the key:\n%s", out)
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
	// The customer's screen is blue with a yellow grid (xsetroot in the demo): the viewer shows it, grid and all.
	// (Locally 42% of the viewer is the blue, 30% in a fresh CI.) The grid's lines are one pixel wide and blend
	// into the blue when the picture is scaled down, so they are counted as lines, not as yellow: a warm pixel
	// between two of the customer's blue ones. A coarse preview, blurred, has almost none; the customer's
	// toolbar, when it is already on the screen, adds a few.
	viewer := readPNG(t, filepath.Join(shots, "expert.png"))
	if blue, lines := share(viewer, 0x3366cc), gridLines(viewer); blue < 0.15 || lines < 0.01 {
		t.Errorf("the viewer shows %.0f%% of the customer's blue and %.1f%% of its grid's lines: not the customer's screen",
			100*blue, 100*lines)
	}
}

// near reports whether the colour (r, g, b) is within a few levels of rgb (0xRRGGBB).
func near(r, g, b, rgb uint32) bool {
	within := func(a, b uint32) bool { return a+6 >= b && b+6 >= a }
	return within(r, rgb>>16&0xff) && within(g, rgb>>8&0xff) && within(b, rgb&0xff)
}

// share is the part of img's pixels within a few levels of the colour rgb (0xRRGGBB).
func share(img image.Image, rgb uint32) float64 {
	b := img.Bounds()
	n, all := 0, 0
	for y := b.Min.Y; y < b.Max.Y; y += 2 {
		for x := b.Min.X; x < b.Max.X; x += 2 {
			r, g, bl, _ := img.At(x, y).RGBA()
			all++
			if near(r>>8, g>>8, bl>>8, rgb) {
				n++
			}
		}
	}
	return float64(n) / float64(all)
}

// gridLines is the part of img's pixels that are yellow blended with the demo's blue (red well above blue, green
// above the blue's) and lie between two pixels of that blue within 3 pixels across or down: a thin yellow line
// on the blue, however scaling blended it.
func gridLines(img image.Image) float64 {
	b := img.Bounds()
	blue := func(x, y int) bool {
		r, g, bl, _ := img.At(x, y).RGBA()
		return near(r>>8, g>>8, bl>>8, 0x3366cc)
	}
	n, all := 0, 0
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			all++
			r, g, bl, _ := img.At(x, y).RGBA()
			if r>>8 <= bl>>8+0x30 || g>>8 <= 0x66 {
				continue
			}
			for d := 1; d <= 3; d++ {
				if blue(x-d, y) && blue(x+d, y) || blue(x, y-d) && blue(x, y+d) {
					n++
					break
				}
			}
		}
	}
	return float64(n) / float64(all)
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
