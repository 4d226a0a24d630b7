//go:build linux && cgo && !nopipewire

package pipewire

import (
	"debug/elf"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestProgramsDoNotNeedPipeWire: a program holding this package starts where libpipewire is absent (it names
// only libc and the like among the libraries it needs), and loads libpipewire when it runs where it is.
func TestProgramsDoNotNeedPipeWire(t *testing.T) {
	exe := filepath.Join(t.TempDir(), "loadcheck")
	build := exec.Command("go", "build", "-o", exe, "./internal/loadcheck")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building: %v\n%s", err, out)
	}
	f, err := elf.Open(exe)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = f.Close() }()
	libs, err := f.ImportedLibraries()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(libs, func(l string) bool { return strings.HasPrefix(l, "libc.so") }) {
		t.Fatalf("no library list worth the name: %v", libs)
	}
	for _, l := range libs {
		if strings.Contains(l, "pipewire") || strings.Contains(l, "spa") {
			t.Fatalf("a program needs %s to start (all: %v)", l, libs)
		}
	}
	if out, err := exec.Command(exe).CombinedOutput(); err != nil || strings.TrimSpace(string(out)) != "loaded" {
		t.Fatalf("the program did not load libpipewire here: %v: %s", err, out)
	}
}
